import type { AppServices } from '../../app.ts';
import { linkedStream } from '../../services/core/async.ts';
import type { Os } from '../os.ts';

export function assistantRoutes(os: Os, services: AppServices) {
  const a = services.assistant;
  return {
    settings: os.assistant.settings.handler(() => a.settings()),
    updateSettings: os.assistant.updateSettings.handler(({ input }) => a.updateSettings(input)),
    setApiKey: os.assistant.setApiKey.handler(({ input }) => a.setApiKey(input.provider, input.apiKey)),
    status: os.assistant.status.handler(() => a.status()),
    pullModel: os.assistant.pullModel.handler(({ input, signal }) => linkedStream(signal, (linked) => a.pull(input.model, linked))),
    conversations: os.assistant.conversations.handler(({ input }) => a.conversations(input.scope)),
    createConversation: os.assistant.createConversation.handler(({ input }) => a.createConversation(input.scope, input.title)),
    conversation: os.assistant.conversation.handler(({ input }) => ({ conversation: a.store.get(input.id), messages: a.store.messages(input.id) })),
    deleteConversation: os.assistant.deleteConversation.handler(({ input }) => ({ deleted: a.store.remove(input.id) })),
    preview: os.assistant.preview.handler(({ input }) => a.preview(input)),
    consent: os.assistant.consent.handler(({ input }) => a.consent(input.conversationId, input.provider, input.granted)),
    ask: os.assistant.ask.handler(({ input, signal }) => linkedStream(signal, (linked) => a.ask(input, linked))),
    applyDockerfile: os.assistant.applyDockerfile.handler(({ input }) => a.applyDockerfile(input.messageId)),
    decide: os.assistant.decide.handler(({ input }) => a.decide(input.messageId, input.serverId)),
    runCommand: os.assistant.runCommand.handler(({ input }) => a.runCommand(input.serverId, input.argv, input.confirmServerName, input.conversationId)),
  };
}
