import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ConversationScope } from '../../../shared/contract/assistant.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ChatView } from './ChatView.tsx';
import { ProviderSettings, useAssistantStatus } from './ProviderSettings.tsx';

/** Local-first AI chat: conversations per app folder, server or general; answers are proposals for review. */
export function AssistantPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const { settings, status } = useAssistantStatus();
  const conversations = useQuery(orpc.assistant.conversations.queryOptions({ input: {} }));
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [selected, setSelected] = useState<string | null>(null);
  const [showSettings, setShowSettings] = useState(false);
  const [kind, setKind] = useState<ConversationScope['kind']>('general');
  const [serverId, setServerId] = useState('');
  const [path, setPath] = useState('');
  const current = conversations.data?.find((c) => c.id === selected) ?? conversations.data?.[0] ?? null;

  const create = async () => {
    try {
      const scope: ConversationScope = kind === 'server' ? { kind, serverId } : kind === 'folder' ? { kind, path } : { kind: 'general' };
      const c = await api().assistant.createConversation({ scope });
      await qc.invalidateQueries({ queryKey: orpc.assistant.conversations.key() });
      setSelected(c.id);
    } catch (e) {
      toast({ kind: 'error', title: 'Could not start the conversation', detail: describeError(e).message });
    }
  };
  const remove = async (id: string) => {
    await api().assistant.deleteConversation({ id });
    await qc.invalidateQueries({ queryKey: orpc.assistant.conversations.key() });
  };

  return (
    <section className="assistant-page">
      <div className="row">
        <h1>Assistant</h1>
        <div className="spacer" />
        <div className="row provider-status" data-testid="provider-status">
          {status.map((p) => (
            <span key={p.id} className={`badge ${p.reachable ? 'ok' : p.reachable === false ? 'failed' : ''}`} title={p.error ?? p.models.join(', ')}>
              {p.id}
              {p.remote ? ' ☁' : ''}: {p.reachable ? p.model : p.reachable === false ? 'unreachable' : 'no key'}
            </span>
          ))}
        </div>
        <button onClick={() => setShowSettings((s) => !s)} data-testid="assistant-settings-toggle">
          {showSettings ? 'Close settings' : 'Providers…'}
        </button>
      </div>
      {showSettings && settings && <ProviderSettings key={JSON.stringify(settings)} settings={settings} status={status} />}
      <div className="assistant-layout">
        <aside className="assistant-side">
          <div className="card new-conversation">
            <select value={kind} onChange={(e) => setKind(e.target.value as ConversationScope['kind'])} aria-label="Conversation about">
              <option value="general">General</option>
              <option value="server">A server</option>
              <option value="folder">An app folder</option>
            </select>
            {kind === 'server' && (
              <select value={serverId} onChange={(e) => setServerId(e.target.value)} aria-label="Server">
                <option value="">Server…</option>
                {servers.data?.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
            {kind === 'folder' && <input placeholder="/path/to/app" value={path} onChange={(e) => setPath(e.target.value)} aria-label="App folder" />}
            <button className="primary" onClick={() => void create()} disabled={(kind === 'server' && !serverId) || (kind === 'folder' && !path)} data-testid="new-conversation">
              New conversation
            </button>
          </div>
          <ul className="conversation-list">
            {conversations.data?.map((c) => (
              <li key={c.id} className={c.id === current?.id ? 'active' : ''}>
                <button className="link" onClick={() => setSelected(c.id)}>
                  {c.title}
                </button>
                <span className="muted small">{c.consent.length ? `☁ ${c.consent.join(', ')}` : ''}</span>
                <button className="small-button" onClick={() => void remove(c.id)} aria-label={`Delete ${c.title}`}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        </aside>
        {current ? (
          <ChatView key={current.id} conversation={current} status={status} serverName={current.scope.kind === 'server' ? (servers.data?.find((s) => s.id === (current.scope as { serverId: string }).serverId)?.name ?? null) : null} />
        ) : (
          <div className="empty-state">Start a conversation: general, about a server, or about an app folder (for a Dockerfile).</div>
        )}
      </div>
    </section>
  );
}
