import type { AskRequest, ConversationScope } from '../../../shared/contract/assistant.ts';

/** What another page asks the assistant to open: a conversation scope, and maybe a first request to send. */
export interface AssistantIntent {
  scope: ConversationScope;
  ask: Omit<AskRequest, 'conversationId'> | null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Links into the assistant: `#/assistant?app=<id>[&deploy=<id>|&task=dockerfile]`, `#/assistant?server=<id>[&container=<name>]`. */
export function assistantHash(p: { app?: string; deploy?: string; task?: 'dockerfile'; server?: string; container?: string }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v) q.set(k, v);
  return `#/assistant?${q.toString()}`;
}

export function intentFromHash(hash: string): AssistantIntent | null {
  const m = /^#\/assistant\?(.*)$/.exec(hash);
  if (!m) return null;
  const q = new URLSearchParams(m[1]);
  const app = q.get('app');
  const server = q.get('server');
  if (app && ID.test(app)) {
    const deploy = q.get('deploy');
    if (deploy && ID.test(deploy)) return { scope: { kind: 'app', appId: app }, ask: { task: 'explain', text: '', deployId: deploy } };
    if (q.get('task') === 'dockerfile') return { scope: { kind: 'app', appId: app }, ask: { task: 'dockerfile', text: '' } };
    return { scope: { kind: 'app', appId: app }, ask: null };
  }
  if (server && ID.test(server)) {
    const container = q.get('container');
    if (container && CONTAINER.test(container)) return { scope: { kind: 'server', serverId: server }, ask: { task: 'explain', text: '', containerId: container } };
    return { scope: { kind: 'server', serverId: server }, ask: null };
  }
  return null;
}
