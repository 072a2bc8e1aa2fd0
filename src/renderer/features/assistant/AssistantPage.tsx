import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AskRequest, ConversationScope } from '../../../shared/contract/assistant.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ChatView } from './ChatView.tsx';
import { intentFromHash } from './intent.ts';
import { ProviderSettings } from './ProviderSettings.tsx';
import { useAssistantStatus } from './readiness.ts';
import { SetupGuide } from './SetupGuide.tsx';

const sameScope = (a: ConversationScope, b: ConversationScope) => JSON.stringify(a) === JSON.stringify(b);

/** Local-first AI chat: conversations per app, server, local folder or general; answers are proposals for review. */
export function AssistantPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const { settings, status, readiness } = useAssistantStatus();
  /** The guide stays open once shown (so Test's result can be read), until closed. */
  const [guide, setGuide] = useState<'unseen' | 'open' | 'closed'>('unseen');
  if (guide === 'unseen' && readiness.ready === false) setGuide('open');
  const conversations = useQuery(orpc.assistant.conversations.queryOptions({ input: {} }));
  const servers = useQuery(orpc.servers.list.queryOptions());
  const apps = useQuery(orpc.apps.list.queryOptions({ input: {} }));
  const [selected, setSelected] = useState<string | null>(null);
  const [appId, setAppId] = useState('');
  /** A first request handed over by another page (explain a failed deploy or container, generate a Dockerfile). */
  const [autoAsk, setAutoAsk] = useState<{ conversationId: string; input: Omit<AskRequest, 'conversationId'>; key: number } | null>(null);
  const [showSettings, setShowSettings] = useState(false);
  const [kind, setKind] = useState<ConversationScope['kind']>('general');
  const [serverId, setServerId] = useState('');
  const [path, setPath] = useState('');
  const current = conversations.data?.find((c) => c.id === selected) ?? conversations.data?.[0] ?? null;

  // Links from other pages (#/assistant?app=…&deploy=…, ?server=…&container=…): open that conversation, send the request once.
  useEffect(() => {
    const open = async () => {
      const intent = intentFromHash(window.location.hash);
      if (!intent) return;
      window.history.replaceState(null, '', '#/assistant');
      try {
        const existing = (await api().assistant.conversations({ scope: intent.scope })).find((c) => sameScope(c.scope, intent.scope));
        const c = existing ?? (await api().assistant.createConversation({ scope: intent.scope }));
        await qc.invalidateQueries({ queryKey: orpc.assistant.conversations.key() });
        setSelected(c.id);
        if (intent.ask) setAutoAsk({ conversationId: c.id, input: intent.ask, key: Date.now() });
      } catch (e) {
        toast({ kind: 'error', title: 'Could not open the assistant there', detail: describeError(e).message });
      }
    };
    void open();
    window.addEventListener('hashchange', open);
    return () => window.removeEventListener('hashchange', open);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const create = async () => {
    try {
      const scope: ConversationScope = kind === 'server' ? { kind, serverId } : kind === 'app' ? { kind, appId } : kind === 'folder' ? { kind, path } : { kind: 'general' };
      const c = await api().assistant.createConversation({ scope });
      await qc.invalidateQueries({ queryKey: orpc.assistant.conversations.key() });
      setSelected(c.id);
    } catch (e) {
      toast({ kind: 'error', title: 'Could not start the conversation', detail: describeError(e).message });
    }
  };
  /** The server a conversation's commands would run on: the server itself, or the app's server. */
  const serverOf = (scope: ConversationScope): { id: string; name: string } | null => {
    const id = scope.kind === 'server' ? scope.serverId : scope.kind === 'app' ? apps.data?.find((a) => a.id === scope.appId)?.serverId : undefined;
    const name = id ? servers.data?.find((s) => s.id === id)?.name : undefined;
    return id && name ? { id, name } : null;
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
      {guide === 'open' && settings && <SetupGuide settings={settings} reason={readiness.reason} onOpenProviders={() => setShowSettings(true)} onClose={readiness.ready ? () => setGuide('closed') : null} />}
      {showSettings && settings && <ProviderSettings key={JSON.stringify(settings)} settings={settings} status={status} />}
      <div className="assistant-layout">
        <aside className="assistant-side">
          <div className="card new-conversation">
            <select value={kind} onChange={(e) => setKind(e.target.value as ConversationScope['kind'])} aria-label="Conversation about">
              <option value="general">General</option>
              <option value="server">A server</option>
              <option value="app">An app</option>
              <option value="folder">A local folder</option>
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
            {kind === 'app' && (
              <select value={appId} onChange={(e) => setAppId(e.target.value)} aria-label="App">
                <option value="">App…</option>
                {apps.data?.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({servers.data?.find((s) => s.id === a.serverId)?.name ?? 'server'})
                  </option>
                ))}
              </select>
            )}
            {kind === 'folder' && <input placeholder="/path/to/app" value={path} onChange={(e) => setPath(e.target.value)} aria-label="App folder" />}
            <button className="primary" onClick={() => void create()} disabled={(kind === 'server' && !serverId) || (kind === 'app' && !appId) || (kind === 'folder' && !path)} data-testid="new-conversation">
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
          <ChatView
            key={current.id}
            conversation={current}
            status={status}
            server={serverOf(current.scope)}
            autoAsk={autoAsk?.conversationId === current.id ? autoAsk : null}
            onAutoAskSent={() => setAutoAsk(null)}
          />
        ) : (
          <div className="empty-state">Start a conversation: general, about a server, or about an app (to generate its Dockerfile).</div>
        )}
      </div>
    </section>
  );
}
