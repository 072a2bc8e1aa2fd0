import { createHash } from 'node:crypto';
import type { AiMessage, AiPreview, AiProviderId, AiProviderStatus, AskEvent, AskInput, AssistantSettings, Conversation, ConversationScope } from '../../../shared/contract/assistant.ts';
import type { AuditService } from '../activity/service.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { AppAccess } from './app-access.ts';
import { summariseRepo, formatRepoSummary, type RepoSummary } from './context.ts';
import { relevantLines } from './log-lines.ts';
import { AllProvidersFailed, runWithFallback, StreamBroken, type Candidate } from './orchestrator.ts';
import { estimateTokens, fitBudget, parseDockerfileAnswer, systemPrompt } from './prompts.ts';
import { isRemote, makeProvider, OllamaProvider } from './providers/index.ts';
import { RateLimiter } from './rate-limit.ts';
import { modelAvailable, summarise, unavailable, type Probe } from './readiness.ts';
import { Redactor } from './redact.ts';
import { containerFailure, serverContext, type ServerContextDeps } from './server-context.ts';
import { AssistantStore } from './store.ts';
import { targetFor } from './target.ts';
import type { AiProvider, ChatMessage } from './types.ts';

export interface AssistantDeps extends ServerContextDeps {
  db: Db;
  secrets: SecretsService;
  audit: AuditService;
  serverName(serverId: string): string;
  exec(serverId: string, argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string; truncated: boolean }>;
  /** Apps and deploys (app conversations, Apply to an app, explain a deploy). */
  apps: AppAccess;
}

/** The context of one request, gathered once and shared by every provider attempt. */
interface GatheredContext {
  text: string;
  /** The repository as summarised (app and folder conversations), for the proposal's "current" files. */
  repo: RepoSummary | null;
}

const REPO_CACHE_MS = 120_000;

const PROVIDERS: AiProviderId[] = ['ollama', 'gemini', 'groq'];

interface BuiltRequest {
  conversation: Conversation;
  userText: string;
  messages: ChatMessage[];
  payload: string;
  bytes: number;
  sha256: string;
  redactions: number;
}

/** The assistant: providers behind one interface, context, redaction, consent, conversations and proposals. */
export class AssistantService {
  readonly store: AssistantStore;
  private readonly deps: AssistantDeps;
  private readonly limiter = new RateLimiter();
  /** Repositories fetched on servers, briefly kept so a conversation's follow-up questions do not clone again. */
  private readonly repos = new Map<string, { at: number; repo: Promise<RepoSummary> }>();

  constructor(deps: AssistantDeps) {
    this.deps = deps;
    this.store = new AssistantStore(deps.db);
  }

  settings(): AssistantSettings {
    return this.store.settings();
  }

  updateSettings(patch: Partial<AssistantSettings>): AssistantSettings {
    return this.store.updateSettings(patch);
  }

  /**
   * The keychain reference of a provider's key, recorded in this instance's database (like every other secret):
   * never a fixed account name, which two app instances sharing one keychain would overwrite in each other.
   */
  private keyRef(provider: 'gemini' | 'groq'): string | null {
    return this.deps.secrets.list().find((r) => r.kind === 'ai-api-key' && r.label === `${provider} API key`)?.ref ?? null;
  }

  async setApiKey(provider: 'gemini' | 'groq', apiKey: string): Promise<{ hasKey: boolean }> {
    const key = apiKey.trim();
    const ref = this.keyRef(provider);
    if (!key) {
      if (ref) await this.deps.secrets.remove(ref);
      return { hasKey: false };
    }
    if (ref) await this.deps.secrets.replace(ref, `${provider} API key`, 'ai-api-key', key);
    else await this.deps.secrets.put(`${provider} API key`, 'ai-api-key', key);
    return { hasKey: true };
  }

  private async apiKey(id: AiProviderId): Promise<string | null> {
    if (id === 'ollama') return null;
    const ref = this.keyRef(id);
    return ref ? this.deps.secrets.get(ref).catch(() => null) : null;
  }

  async status(): Promise<AiProviderStatus[]> {
    const s = this.settings();
    const probes = await Promise.all(PROVIDERS.map((id) => this.probe(id, s)));
    return probes.map((p) => ({ id: p.id, remote: isRemote(p.id, s), hasKey: p.hasKey, reachable: p.reachable, models: p.models, error: p.error, model: p.model, modelAvailable: modelAvailable(p), summary: summarise(p) }));
  }

  /** Lists the provider's models: the same request whether it comes from Test or before a request. */
  private async probe(id: AiProviderId, s: AssistantSettings): Promise<Probe> {
    const key = await this.apiKey(id);
    const provider = makeProvider(id, s, key);
    const base = { id, baseUrl: s.providers[id].baseUrl, model: s.providers[id].model, hasKey: id === 'ollama' || !!key };
    if (!provider) return { ...base, reachable: null, models: [], error: 'no API key' };
    try {
      return { ...base, reachable: true, models: await provider.listModels(AbortSignal.timeout(Math.min(5000, s.timeoutMs))), error: null };
    } catch (e) {
      return { ...base, reachable: false, models: [], error: errorMessage(e) };
    }
  }

  /**
   * One clear error before any work when no provider in `order` can take a request: a cloud provider with a key
   * (and consent, when asked for) counts as usable; Ollama is probed, being local and cheap to ask.
   */
  private async requireProvider(order: readonly AiProviderId[], s: AssistantSettings, consent: readonly AiProviderId[] | null): Promise<void> {
    for (const id of order) if (id !== 'ollama' && (await this.apiKey(id)) && (!consent || !isRemote(id, s) || consent.includes(id))) return;
    const probes = await Promise.all(order.map((id) => this.probe(id, s)));
    // Reachable is enough here: a request may name another model than the configured one.
    if (!probes.some((p) => p.reachable)) throw unavailable(probes);
  }

  async *pull(model: string, signal: AbortSignal): AsyncGenerator<{ status: string; completed: number | null; total: number | null }> {
    yield* new OllamaProvider(this.settings().providers.ollama.baseUrl).pull(model, signal);
  }

  conversations(scope?: ConversationScope): Conversation[] {
    return this.store.list(scope);
  }

  createConversation(scope: ConversationScope, title?: string): Conversation {
    if (scope.kind === 'server') this.deps.serverName(scope.serverId);
    const name =
      title ??
      (scope.kind === 'general'
        ? 'General'
        : scope.kind === 'server'
          ? `Server ${this.deps.serverName(scope.serverId)}`
          : scope.kind === 'app'
            ? `App ${this.deps.apps.app(scope.appId).name}`
            : `Folder ${scope.path.split(/[\\/]/).filter(Boolean).at(-1) ?? scope.path}`);
    return this.store.create(name, scope);
  }

  /** Every secret this app holds (server passwords, keys, API keys): masked wherever it appears. */
  private async knownSecrets(): Promise<string[]> {
    const refs = (() => {
      try {
        return this.deps.secrets.list();
      } catch {
        return [];
      }
    })();
    const values = await Promise.all(refs.map((r) => this.deps.secrets.get(r.ref).catch(() => null)));
    return values.filter((v): v is string => !!v);
  }

  /** The app's repository (fetched on its server), reused for a short while within the same process. */
  private appRepo(appId: string, signal: AbortSignal): Promise<RepoSummary> {
    const hit = this.repos.get(appId);
    if (hit && Date.now() - hit.at < REPO_CACHE_MS) return hit.repo;
    const repo = this.deps.apps.repo(appId, signal);
    this.repos.set(appId, { at: Date.now(), repo });
    repo.catch(() => this.repos.delete(appId));
    return repo;
  }

  private async context(scope: ConversationScope, input: AskInput, signal: AbortSignal): Promise<GatheredContext> {
    const parts: string[] = [];
    let repo: RepoSummary | null = null;
    if (scope.kind === 'server') parts.push(await serverContext(this.deps, scope.serverId, this.deps.serverName(scope.serverId)));
    if (scope.kind === 'folder') {
      repo = await summariseRepo(scope.path).catch((e: unknown) => {
        throw new AppError('NOT_FOUND', `conversationId: the app folder cannot be read: ${errorMessage(e)}`);
      });
      parts.push(formatRepoSummary(repo));
    }
    if (scope.kind === 'app') {
      const app = this.deps.apps.app(scope.appId);
      parts.push(
        [
          `App "${app.name}" on server "${this.deps.serverName(app.serverId)}", built from ${app.source.kind === 'git' ? `git ${app.source.url} (branch ${app.source.branch})` : `the local folder ${app.source.path}`} with ${app.dockerfile}.`,
          app.lastDeploy ? `Last deploy: ${app.lastDeploy.status} (step ${app.lastDeploy.step})${app.lastDeploy.error ? `: ${app.lastDeploy.error}` : ''}.` : 'Never deployed.',
        ].join('\n'),
      );
      if (input.task !== 'explain') {
        try {
          repo = { ...(await this.appRepo(app.id, signal)) };
        } catch (e) {
          if (input.task === 'dockerfile') throw new AppError('REMOTE_COMMAND_FAILED', `conversationId: the app's repository could not be read: ${errorMessage(e)}`);
          parts.push(`Repository: unavailable (${errorMessage(e)})`);
        }
        if (repo && app.dockerfileOverride) {
          // What the next deploy builds with: the override replaces the repository's files.
          repo.dockerfile = app.dockerfileOverride.dockerfile;
          if (app.dockerfileOverride.dockerignore !== null) repo.dockerignore = app.dockerfileOverride.dockerignore;
          parts.push('The app builds with a Dockerfile override kept in OpenPanel (shown below as the current Dockerfile), not the one in git.');
        }
        if (repo) parts.push(formatRepoSummary(repo));
      }
    }
    if (input.task === 'explain') {
      if (input.containerId) {
        if (scope.kind !== 'server') throw new AppError('INPUT_INVALID', 'containerId: explaining a container needs a server conversation');
        parts.push(await containerFailure(this.deps, scope.serverId, input.containerId).catch((e: unknown) => `Container ${input.containerId}: state unavailable (${errorMessage(e)})`));
      }
      if (input.deployId) {
        const d = this.deps.apps.deploy(input.deployId);
        if (!((scope.kind === 'app' && scope.appId === d.appId) || (scope.kind === 'server' && scope.serverId === d.serverId))) {
          throw new AppError('INPUT_INVALID', "deployId: that deploy belongs to another app; explain it in its app's (or server's) conversation");
        }
        parts.push(`Deploy ${d.id}: ${d.status} at step ${d.step}${d.error ? ` (${d.error})` : ''}.\nRelevant lines of its log:\n${relevantLines(d.log).join('\n')}`);
      }
      if (input.logLines?.length) parts.push(`Log lines:\n${input.logLines.join('\n')}`);
      if (!input.containerId && !input.deployId && !input.logLines?.length) throw new AppError('INPUT_INVALID', 'containerId: name a container (or a deployId, or send logLines) to explain');
    }
    if (input.task === 'dockerfile' && scope.kind !== 'folder' && scope.kind !== 'app') throw new AppError('INPUT_INVALID', 'task: a Dockerfile is generated in an app conversation');
    return { text: parts.join('\n\n'), repo };
  }

  private defaultText(input: AskInput): string {
    if (input.text.trim()) return input.text;
    if (input.task === 'dockerfile') return 'Generate a Dockerfile and a .dockerignore for this app.';
    if (input.task === 'explain') return input.containerId ? `Explain why container ${input.containerId} is failing and suggest a fix.` : input.deployId ? 'Explain why this deploy failed and suggest a fix.' : 'Explain this failure and suggest a fix.';
    throw new AppError('INPUT_INVALID', 'text: expected a question');
  }

  /** The exact request: context and history, redacted, fitted to the budget; its JSON is what is hashed and previewed. */
  private async build(input: AskInput, settings: AssistantSettings, model: string, ctx: GatheredContext): Promise<BuiltRequest> {
    const conversation = this.store.get(input.conversationId);
    const userText = this.defaultText(input);
    const redactor = new Redactor(await this.knownSecrets());
    let redactions = 0;
    const clean = (t: string) => {
      const r = redactor.redact(t);
      redactions += r.count;
      return r.text;
    };
    const system = clean(systemPrompt(input.task, ctx.text));
    const history: ChatMessage[] = this.store
      .messages(conversation.id)
      .filter((m) => m.status !== 'error' && m.content)
      .map((m) => ({ role: m.role, content: clean(m.content) }));
    history.push({ role: 'user', content: clean(userText) });
    const messages = fitBudget(system, history, settings.maxInputTokens);
    const payload = JSON.stringify({ model, messages }, null, 1);
    return { conversation, userText, messages, payload, bytes: Buffer.byteLength(payload), sha256: createHash('sha256').update(payload).digest('hex'), redactions };
  }

  private async firstProvider(input: AskInput, settings: AssistantSettings): Promise<AiProviderId> {
    if (input.provider) return input.provider;
    for (const id of settings.fallbackOrder) if (id === 'ollama' || (await this.apiKey(id))) return id;
    return settings.fallbackOrder[0]!;
  }

  async preview(input: AskInput): Promise<AiPreview> {
    const s = this.settings();
    await this.requireProvider(input.provider ? [input.provider] : s.fallbackOrder, s, null);
    const provider = await this.firstProvider(input, s);
    const model = input.model ?? s.providers[provider].model;
    const b = await this.build(input, s, model, await this.context(this.store.get(input.conversationId).scope, input, AbortSignal.timeout(180_000)));
    const remote = isRemote(provider, s);
    return { provider, model, remote, needsConsent: remote && !b.conversation.consent.includes(provider), payload: b.payload, bytes: b.bytes, sha256: b.sha256, redactions: b.redactions, estimatedTokens: estimateTokens(b.payload) };
  }

  consent(conversationId: string, provider: AiProviderId, granted: boolean): Conversation {
    return this.store.setConsent(conversationId, provider, granted);
  }

  private audit(action: string, target: string, input: Record<string, unknown>, result: 'ok' | 'error' = 'ok', errorCode: string | null = null): void {
    this.deps.audit.record({ at: Date.now(), actor: 'assistant', action, target, input: JSON.stringify(input), result, errorCode, durationMs: 0 });
  }

  async *ask(input: AskInput, signal: AbortSignal): AsyncGenerator<AskEvent> {
    const s = this.settings();
    const conversation = this.store.get(input.conversationId);
    const order = input.provider ? [input.provider] : s.fallbackOrder;
    if (input.provider && isRemote(input.provider, s) && !conversation.consent.includes(input.provider)) {
      throw new AppError('CONSENT_REQUIRED', `provider: ${input.provider} sends data off this machine; review the preview and consent for this conversation first`);
    }
    await this.requireProvider(order, s, conversation.consent);
    const requests = new Map<AiProviderId, BuiltRequest>();
    const candidates: Candidate[] = [];
    const ctx = await this.context(conversation.scope, input, signal);
    for (const id of order) {
      const model = (id === order[0] ? input.model : undefined) ?? s.providers[id].model;
      const remote = isRemote(id, s);
      const provider = makeProvider(id, s, await this.apiKey(id));
      const skip = remote && !conversation.consent.includes(id) ? 'not allowed for this conversation (no consent)' : provider ? undefined : 'no API key';
      candidates.push({ id, model, provider: skip ? null : provider, ...(skip ? { skip } : {}), requestsPerMinute: s.providers[id].requestsPerMinute });
      if (!skip) requests.set(id, await this.build(input, s, model, ctx));
    }
    const first = requests.values().next().value ?? (await this.build(input, s, s.providers[order[0]!].model, ctx));
    const user = this.store.addMessage({ conversationId: conversation.id, role: 'user', content: first.userText, task: input.task, provider: null, model: null, status: 'complete', error: null, proposal: null });
    yield { type: 'user', message: user };

    let text = '';
    let used: { provider: AiProviderId; model: string } | null = null;
    let status: AiMessage['status'] = 'stopped';
    let error: string | null = null;
    const messagesFor = new Map([...requests].map(([k, v]) => [k, v.messages]));
    // Each provider gets the request built (and previewed, hashed) for its model.
    const run = runWithFallback(
      candidates.map((c) => ({ ...c, provider: c.provider && wrapMessages(c.provider, messagesFor.get(c.id)!) })),
      first.messages,
      { maxOutputTokens: s.maxOutputTokens, timeoutMs: s.timeoutMs, maxAttempts: s.maxAttempts, limiter: this.limiter, signal },
    );
    let saved: AiMessage;
    try {
      for (let r = await run.next(); ; r = await run.next()) {
        if (r.done) {
          used = { provider: r.value.provider, model: r.value.model };
          if (r.value.truncated) text += '\n\n*(answer cut at the output token budget)*';
          status = 'complete';
          break;
        }
        const ev = r.value;
        if (ev.type === 'token') {
          text += ev.text;
          yield ev;
        } else if (ev.type === 'attempt') {
          const req = requests.get(ev.provider)!;
          used = { provider: ev.provider, model: ev.model };
          this.audit('assistant.request', conversation.id, { provider: ev.provider, model: ev.model, attempt: ev.attempt, task: input.task, remote: isRemote(ev.provider, s), bytes: req.bytes, sha256: req.sha256, redactions: req.redactions });
          yield { ...ev, bytes: req.bytes, sha256: req.sha256, redactions: req.redactions };
        } else yield ev;
      }
    } catch (e) {
      if (!signal.aborted) {
        status = 'error';
        error = e instanceof AllProvidersFailed || e instanceof StreamBroken ? e.message : errorMessage(e);
      }
    } finally {
      // Reached on completion, failure, and when the client stops reading (then `status` is still 'stopped').
      await run.return(undefined as never).catch(() => undefined);
      const proposal = status === 'complete' && input.task === 'dockerfile' ? this.proposalFrom(conversation, text, ctx.repo) : null;
      saved = this.store.addMessage({ conversationId: conversation.id, role: 'assistant', content: text, task: input.task, provider: used?.provider ?? null, model: used?.model ?? null, status, error, proposal });
      this.audit('assistant.answer', conversation.id, { messageId: saved.id, provider: used?.provider ?? null, model: used?.model ?? null, status, chars: text.length }, status === 'error' ? 'error' : 'ok', status === 'error' ? 'INTERNAL' : null);
    }
    yield { type: 'done', message: saved };
  }

  private proposalFrom(conversation: Conversation, answer: string, repo: RepoSummary | null): AiMessage['proposal'] {
    const parsed = parseDockerfileAnswer(answer);
    if (!parsed || (conversation.scope.kind !== 'folder' && conversation.scope.kind !== 'app')) return null;
    return { ...parsed, currentDockerfile: repo?.dockerfile ?? null, currentDockerignore: repo?.dockerignore ?? null, target: targetFor(conversation.scope, this.deps.apps).description, appliedAt: null };
  }

  /** Writes a proposal to its target (an app's build config or a folder): only ever called by the user's click. */
  async applyDockerfile(messageId: string): Promise<{ written: string[]; message: AiMessage; appId: string | null }> {
    const m = this.store.message(messageId);
    if (!m.proposal) throw new AppError('INPUT_INVALID', 'messageId: this message has no Dockerfile proposal');
    const scope = this.store.get(m.conversationId).scope;
    const written = await targetFor(scope, this.deps.apps).write(m.proposal);
    if (scope.kind === 'app') this.repos.delete(scope.appId);
    return { written, message: this.store.setProposal(m.id, { ...m.proposal, appliedAt: Date.now() }), appId: scope.kind === 'app' ? scope.appId : null };
  }

  /** A user decision on a proposal; the RPC layer audits it with its input (for a command: the server and argv, not run). */
  decide(messageId: string, serverId?: string): { ok: boolean } {
    this.store.message(messageId);
    if (serverId) this.deps.serverName(serverId);
    return { ok: true };
  }

  /** Runs a proposed command as argv (no shell) after the confirmation that names the server. Audited with its outcome. */
  async runCommand(serverId: string, argv: string[], confirmServerName: string, conversationId?: string) {
    const name = this.deps.serverName(serverId);
    if (confirmServerName !== name) throw new AppError('INPUT_INVALID', `confirmServerName: type the server name "${name}" to confirm`);
    const started = Date.now();
    try {
      const r = await this.deps.exec(serverId, argv);
      this.deps.audit.record({ at: started, actor: 'assistant', action: 'assistant.command', target: serverId, input: JSON.stringify({ server: name, argv, conversationId: conversationId ?? null, exitCode: r.code }), result: r.code === 0 ? 'ok' : 'error', errorCode: r.code === 0 ? null : 'REMOTE_COMMAND_FAILED', durationMs: Date.now() - started });
      return r;
    } catch (e) {
      this.deps.audit.record({ at: started, actor: 'assistant', action: 'assistant.command', target: serverId, input: JSON.stringify({ server: name, argv, conversationId: conversationId ?? null, error: errorMessage(e) }), result: 'error', errorCode: 'REMOTE_COMMAND_FAILED', durationMs: Date.now() - started });
      throw e;
    }
  }
}

/** Binds a provider to the request built for it (same text; the model named in it is the candidate's). */
function wrapMessages(p: AiProvider, messages: ChatMessage[]): AiProvider {
  return { id: p.id, listModels: (s) => p.listModels(s), chat: (req) => p.chat({ ...req, messages }) };
}
