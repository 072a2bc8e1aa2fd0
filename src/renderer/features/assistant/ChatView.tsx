import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { AiMessage, AiProviderId, AiProviderStatus, AskRequest, Conversation } from '../../../shared/contract/assistant.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { toArgv } from './commands.ts';
import { ConsentDialog } from './ConsentDialog.tsx';
import { Markdown } from './Markdown.tsx';
import { ProposalCard } from './ProposalCard.tsx';
import { RunCommandDialog } from './RunCommandDialog.tsx';
import { useAsk } from './useAsk.ts';

const RUNNABLE = ['sh', 'bash', 'shell', 'console', 'zsh'];

export function ChatView({
  conversation,
  status,
  server,
  autoAsk,
  onAutoAskSent,
}: {
  conversation: Conversation;
  status: AiProviderStatus[];
  /** Where proposed commands would run (the server, or the app's server). */
  server: { id: string; name: string } | null;
  autoAsk: { input: Omit<AskRequest, 'conversationId'>; key: number } | null;
  onAutoAskSent: () => void;
}) {
  const serverName = server?.name ?? null;
  const orpc = queryUtils();
  const qc = useQueryClient();
  const data = useQuery(orpc.assistant.conversation.queryOptions({ input: { id: conversation.id } }));
  const { state, send, stop, answerConsent } = useAsk(conversation.id);
  const [text, setText] = useState('');
  const [pick, setPick] = useState('auto');
  const [containerId, setContainerId] = useState('');
  const [running, setRunning] = useState<{ argv: string[]; messageId: string } | null>(null);
  const scope = conversation.scope;
  const app = useQuery({ ...orpc.apps.get.queryOptions({ input: { id: scope.kind === 'app' ? scope.appId : '' } }), enabled: scope.kind === 'app' });
  // A request handed over by another page is sent once (through the same preview/consent path as a click).
  const sentKey = useRef<number | null>(null);
  useEffect(() => {
    if (!autoAsk || sentKey.current === autoAsk.key || state.streaming) return;
    sentKey.current = autoAsk.key;
    onAutoAskSent();
    void send({ ...autoAsk.input, conversationId: conversation.id });
  }, [autoAsk]); // eslint-disable-line react-hooks/exhaustive-deps
  const containers = useQuery({
    ...orpc.containers.list.queryOptions({ input: { serverIds: scope.kind === 'server' ? [scope.serverId] : [] } }),
    enabled: scope.kind === 'server',
  });
  const [provider, model] = pick === 'auto' ? [undefined, undefined] : (pick.split('|') as [AiProviderId, string]);
  const chosen = { ...(provider ? { provider } : {}), ...(model ? { model } : {}) };
  const submit = () => {
    if (!text.trim() || state.streaming) return;
    void send({ conversationId: conversation.id, text, task: 'chat', ...chosen });
    setText('');
  };
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.assistant.conversation.key({ input: { id: conversation.id } }) });

  const codeActions = (messageId: string) => (lang: string, code: string) => (
    <span className="row">
      <button className="small-button" onClick={() => void navigator.clipboard?.writeText(code)}>
        Copy
      </button>
      {server && RUNNABLE.includes(lang) && toArgv(code) && (
        <button className="small-button" onClick={() => setRunning({ argv: toArgv(code)!, messageId })} data-testid="propose-run">
          Run on {serverName}…
        </button>
      )}
    </span>
  );

  const messages: AiMessage[] = data.data?.messages ?? [];
  return (
    <div className="chat">
      <div className="chat-log" data-testid="chat-log">
        {messages.length === 0 && !state.streaming && <div className="empty-state">Ask anything about {conversation.title}. Answers are proposals: nothing runs without your click.</div>}
        {messages.map((m) => (
          <div key={m.id} className={`chat-msg ${m.role}`} data-role={m.role} data-status={m.status}>
            <div className="muted small">
              {m.role === 'user' ? 'You' : `${m.provider ?? 'assistant'}${m.model ? ` · ${m.model}` : ''}`}
              {m.status !== 'complete' && <span className={`badge ${m.status === 'error' ? 'failed' : ''}`}> {m.status}</span>}
            </div>
            {m.role === 'user' ? <div className="chat-user-text">{m.content}</div> : <Markdown text={m.content} codeActions={codeActions(m.id)} />}
            {m.error && <p className="error-text">{m.error}</p>}
            {m.proposal && <ProposalCard message={m} proposal={m.proposal} appId={scope.kind === 'app' ? scope.appId : null} onChanged={refresh} />}
          </div>
        ))}
        {(state.streaming || state.text) && (
          <div className="chat-msg assistant streaming" data-testid="streaming-answer">
            <div className="muted small">{state.notes.at(-1) ?? 'thinking…'}</div>
            <Markdown text={state.text} />
          </div>
        )}
        {state.error && (
          <p className="error-text" role="alert" data-testid="ask-error">
            {state.error}
          </p>
        )}
        {state.notes.length > 1 && <ul className="chat-notes small muted">{state.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>}
      </div>
      <div className="chat-tools row">
        {(scope.kind === 'folder' || scope.kind === 'app') && (
          <button disabled={state.streaming} onClick={() => void send({ conversationId: conversation.id, text: '', task: 'dockerfile', ...chosen })} data-testid="generate-dockerfile">
            Generate Dockerfile
          </button>
        )}
        {scope.kind === 'app' && app.data?.lastDeploy?.status === 'failed' && (
          <button disabled={state.streaming} onClick={() => void send({ conversationId: conversation.id, text: '', task: 'explain', deployId: app.data!.lastDeploy!.id, ...chosen })} data-testid="explain-last-deploy">
            Explain the failed deploy
          </button>
        )}
        {scope.kind === 'app' && app.data?.dockerfileOverride && (
          <span className="badge" title={app.data.dockerfileOverride.dockerfile}>
            builds with a Dockerfile override
          </span>
        )}
        {scope.kind === 'server' && (
          <>
            <select value={containerId} onChange={(e) => setContainerId(e.target.value)} aria-label="Container to explain">
              <option value="">Container…</option>
              {(containers.data?.containers ?? []).map((c) => (
                <option key={c.id} value={c.name}>
                  {c.name} ({c.state}
                  {c.health !== 'none' ? `, ${c.health}` : ''})
                </option>
              ))}
            </select>
            <button disabled={state.streaming || !containerId} onClick={() => void send({ conversationId: conversation.id, text: '', task: 'explain', containerId, ...chosen })}>
              Explain a failure
            </button>
          </>
        )}
        <div className="spacer" />
        <select value={pick} onChange={(e) => setPick(e.target.value)} aria-label="Model" data-testid="model-picker">
          <option value="auto">Auto (fallback order)</option>
          {status.flatMap((p) =>
            (p.models.length ? p.models : [p.model]).map((m) => (
              <option key={`${p.id}|${m}`} value={`${p.id}|${m}`}>
                {p.id} · {m}
              </option>
            )),
          )}
        </select>
      </div>
      <div className="chat-input row">
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              submit();
            }
          }}
          placeholder="Ask about this app or server… (Enter sends, Shift+Enter for a new line)"
          aria-label="Message"
          rows={3}
        />
        {state.streaming ? (
          <button className="danger" onClick={stop} data-testid="stop">
            Stop
          </button>
        ) : (
          <button className="primary" onClick={submit} disabled={!text.trim()} data-testid="send">
            Send
          </button>
        )}
      </div>
      {state.consent && <ConsentDialog preview={state.consent.preview} onAnswer={(d) => void answerConsent(d)} />}
      {running && server && <RunCommandDialog serverId={server.id} serverName={server.name} argv={running.argv} messageId={running.messageId} conversationId={conversation.id} onClose={() => setRunning(null)} />}
    </div>
  );
}
