import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

/** Links the RPC signal to a controller the generator owns, so a stopped stream always aborts the provider request. */
function linked(signal: AbortSignal | undefined): AbortController {
  const ac = new AbortController();
  if (signal?.aborted) ac.abort();
  signal?.addEventListener('abort', () => ac.abort(), { once: true });
  return ac;
}

export function assistantRoutes(os: Os, services: AppServices) {
  const a = services.assistant;
  return {
    settings: os.assistant.settings.handler(() => a.settings()),
    updateSettings: os.assistant.updateSettings.handler(({ input }) => a.updateSettings(input)),
    setApiKey: os.assistant.setApiKey.handler(({ input }) => a.setApiKey(input.provider, input.apiKey)),
    status: os.assistant.status.handler(() => a.status()),
    pullModel: os.assistant.pullModel.handler(async function* ({ input, signal }) {
      const ac = linked(signal);
      try {
        yield* a.pull(input.model, ac.signal);
      } finally {
        ac.abort();
      }
    }),
    conversations: os.assistant.conversations.handler(({ input }) => a.conversations(input.scope)),
    createConversation: os.assistant.createConversation.handler(({ input }) => a.createConversation(input.scope, input.title)),
    conversation: os.assistant.conversation.handler(({ input }) => ({ conversation: a.store.get(input.id), messages: a.store.messages(input.id) })),
    deleteConversation: os.assistant.deleteConversation.handler(({ input }) => ({ deleted: a.store.remove(input.id) })),
    preview: os.assistant.preview.handler(({ input }) => a.preview(input)),
    consent: os.assistant.consent.handler(({ input }) => a.consent(input.conversationId, input.provider, input.granted)),
    ask: os.assistant.ask.handler(async function* ({ input, signal }) {
      const ac = linked(signal);
      try {
        yield* a.ask(input, ac.signal);
      } finally {
        ac.abort();
      }
    }),
    applyDockerfile: os.assistant.applyDockerfile.handler(({ input }) => a.applyDockerfile(input.messageId)),
    decide: os.assistant.decide.handler(({ input }) => a.decide(input.messageId, input.serverId)),
    runCommand: os.assistant.runCommand.handler(({ input }) => a.runCommand(input.serverId, input.argv, input.confirmServerName, input.conversationId)),
  };
}
