import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id } from './base.ts';

/** The model providers the assistant can use. Ollama runs locally (default); Gemini and Groq are cloud APIs. */
export const AiProviderId = z.enum(['ollama', 'gemini', 'groq']);
export type AiProviderId = z.infer<typeof AiProviderId>;

const HttpUrl = z
  .string()
  .max(500, 'expected at most 500 characters')
  .regex(/^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/[^\s@]*)?$/, 'expected an http(s) URL without credentials');

const ModelName = z
  .string()
  .min(1, 'expected a model name')
  .max(200, 'expected at most 200 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'expected a model name (letters, digits, . _ : / -)');

export const AiProviderSettings = z
  .object({
    /** Where the provider's API lives. Ollama: its host; Gemini/Groq: the official endpoint unless a gateway is used. */
    baseUrl: HttpUrl,
    model: ModelName,
    /** Requests per minute this app sends at most (a client-side limit, below the provider's own). */
    requestsPerMinute: z.number().int('expected a whole number').min(1, 'expected 1-10000').max(10_000, 'expected 1-10000'),
  })
  .strict();
export type AiProviderSettings = z.infer<typeof AiProviderSettings>;

export const AssistantSettings = z
  .object({
    providers: z.object({ ollama: AiProviderSettings, gemini: AiProviderSettings, groq: AiProviderSettings }).strict(),
    /** Tried in this order; a provider that fails (or lacks consent or a key) hands over to the next. */
    fallbackOrder: z
      .array(AiProviderId)
      .min(1, 'expected at least one provider')
      .max(3)
      .refine((a) => new Set(a).size === a.length, 'expected each provider at most once'),
    /** Token budget of one request: input (context + history, trimmed to fit) and output (the answer is cut there). */
    maxInputTokens: z.number().int().min(256, 'expected 256-1000000').max(1_000_000, 'expected 256-1000000'),
    maxOutputTokens: z.number().int().min(16, 'expected 16-100000').max(100_000, 'expected 16-100000'),
    /** No first token within this time (or a pause this long mid-stream) ends the attempt. */
    timeoutMs: z.number().int().min(1000, 'expected 1000-600000 ms').max(600_000, 'expected 1000-600000 ms'),
    /** Attempts per provider on 429/5xx/network errors (retry-after honoured), before falling back. */
    maxAttempts: z.number().int().min(1, 'expected 1-6').max(6, 'expected 1-6'),
  })
  .strict();
export type AssistantSettings = z.infer<typeof AssistantSettings>;

export const AiProviderStatus = z.object({
  id: AiProviderId,
  /** Data leaves this machine (cloud API, or an Ollama host that is not loopback): consent is asked. */
  remote: z.boolean(),
  hasKey: z.boolean(),
  reachable: z.boolean().nullable(),
  models: z.array(z.string()),
  error: z.string().nullable(),
  model: z.string(),
  /** The configured model is among those the provider lists; null when unknown (not reachable, or no list). */
  modelAvailable: z.boolean().nullable(),
  /** What the probe found, in words ("Ollama: reachable, model qwen2.5-coder:7b"). */
  summary: z.string(),
});
export type AiProviderStatus = z.infer<typeof AiProviderStatus>;

export const ConversationScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('general') }).strict(),
  z.object({ kind: z.literal('server'), serverId: Id }).strict(),
  /** An app record (Apps): its repository is fetched on its server; Apply stores a Dockerfile override with the app. */
  z.object({ kind: z.literal('app'), appId: Id }).strict(),
  /** A local folder (a repository checkout that is not an app yet); Apply writes the files into it. */
  z
    .object({
      kind: z.literal('folder'),
      path: z
        .string()
        .min(1, 'expected an absolute folder path')
        .max(1000)
        .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'expected an absolute folder path'),
    })
    .strict(),
]);
export type ConversationScope = z.infer<typeof ConversationScope>;

export const AiMessageRole = z.enum(['user', 'assistant']);
export const DockerfileProposal = z.object({
  dockerfile: z.string(),
  dockerignore: z.string().nullable(),
  currentDockerfile: z.string().nullable(),
  currentDockerignore: z.string().nullable(),
  /** Where Apply writes: a folder, or the app's build config (Dockerfile override). */
  target: z.string(),
  appliedAt: z.number().nullable(),
});
export type DockerfileProposal = z.infer<typeof DockerfileProposal>;

export const AiMessage = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: AiMessageRole,
  content: z.string(),
  task: z.enum(['chat', 'dockerfile', 'explain']),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  status: z.enum(['complete', 'stopped', 'error']),
  error: z.string().nullable(),
  proposal: DockerfileProposal.nullable(),
  createdAt: z.number(),
});
export type AiMessage = z.infer<typeof AiMessage>;

export const Conversation = z.object({
  id: z.string(),
  title: z.string(),
  scope: ConversationScope,
  /** Remote providers the user allowed for this conversation, after seeing the preview. */
  consent: z.array(AiProviderId),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Conversation = z.infer<typeof Conversation>;

const Prompt = z.string().max(20_000, 'expected at most 20000 characters');

/** What one request asks for. Context (repository, server facts, logs) is gathered by the app from the conversation scope. */
export const AskInput = z
  .object({
    conversationId: Id,
    text: Prompt.default(''),
    task: z.enum(['chat', 'dockerfile', 'explain']).default('chat'),
    /** explain: the container whose recent logs and state are sent (server conversations). */
    containerId: z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a container id or name').optional(),
    /** explain: a failed deploy of the conversation's app (or server); its relevant log lines are sent, redacted. */
    deployId: Id.optional(),
    /** explain: log lines of a failed deploy or build, pasted or handed over by another page. */
    logLines: z.array(z.string().max(4000)).max(2000, 'expected at most 2000 lines').optional(),
    /** Use exactly this provider (and model) instead of the fallback order. */
    provider: AiProviderId.optional(),
    model: ModelName.optional(),
  })
  .strict();
export type AskInput = z.infer<typeof AskInput>;
/** What a client sends (defaults not yet applied). */
export type AskRequest = z.input<typeof AskInput>;

export const AiPreview = z.object({
  /** The provider the request would go to first, and whether it needs consent for this conversation. */
  provider: AiProviderId,
  model: z.string(),
  remote: z.boolean(),
  needsConsent: z.boolean(),
  /** Exactly what is sent (after redaction), as JSON. */
  payload: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  redactions: z.number(),
  estimatedTokens: z.number(),
});
export type AiPreview = z.infer<typeof AiPreview>;

export const AskEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user'), message: AiMessage }),
  z.object({ type: z.literal('attempt'), provider: AiProviderId, model: z.string(), attempt: z.number(), bytes: z.number(), sha256: z.string(), redactions: z.number() }),
  z.object({ type: z.literal('retry'), provider: AiProviderId, delayMs: z.number(), reason: z.string() }),
  z.object({ type: z.literal('fallback'), from: AiProviderId, reason: z.string() }),
  z.object({ type: z.literal('token'), text: z.string() }),
  z.object({ type: z.literal('done'), message: AiMessage }),
]);
export type AskEvent = z.infer<typeof AskEvent>;

export const PullProgress = z.object({ status: z.string(), completed: z.number().nullable(), total: z.number().nullable() });

/** A shell/Docker command the assistant proposed, run as argv on a server after a confirmation naming it. */
export const RunCommandInput = z
  .object({
    serverId: Id,
    argv: z
      .array(z.string().max(4096).refine((a) => !a.includes('\0'), 'expected an argument without NUL bytes'))
      .min(1, 'expected at least the program name')
      .max(64, 'expected at most 64 arguments'),
    /** Must repeat the server's name: the confirmation that names the server. */
    confirmServerName: z.string().min(1, 'type the server name to confirm').max(200),
    conversationId: Id.optional(),
  })
  .strict();

export const assistant = {
  settings: base.output(AssistantSettings),
  updateSettings: base.meta({ mutating: true }).input(AssistantSettings.partial().strict()).output(AssistantSettings),
  /** API keys go to the OS keychain (or vault); the database never holds them. */
  setApiKey: base
    .meta({ mutating: true, secretFields: ['apiKey'] })
    .input(z.object({ provider: z.enum(['gemini', 'groq']), apiKey: z.string().max(500).describe('empty removes the key') }).strict())
    .output(z.object({ hasKey: z.boolean() })),
  /** Probes every provider now (lists its models): the Test button, and whether Explain can work. */
  status: base.output(z.array(AiProviderStatus)),
  /** Downloads an Ollama model, with progress. Audited. */
  pullModel: base.meta({ mutating: true }).input(z.object({ model: ModelName }).strict()).output(eventIterator(PullProgress)),

  conversations: base.input(z.object({ scope: ConversationScope.optional() }).strict().default({})).output(z.array(Conversation)),
  createConversation: base
    .meta({ mutating: true })
    .input(z.object({ title: z.string().trim().min(1, 'expected a title').max(200).optional(), scope: ConversationScope }).strict())
    .output(Conversation),
  conversation: base.input(z.object({ id: Id }).strict()).output(z.object({ conversation: Conversation, messages: z.array(AiMessage) })),
  deleteConversation: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ deleted: z.boolean() })),

  /** What `ask` would send, redacted, with its size and hash: shown before consent. Nothing is sent. */
  preview: base.input(AskInput).output(AiPreview),
  /** The user allows (or withdraws) a remote provider for one conversation, after seeing the preview. Audited. */
  consent: base
    .meta({ mutating: true })
    .input(z.object({ conversationId: Id, provider: AiProviderId, granted: z.boolean(), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 of the previewed payload').optional() }).strict())
    .output(Conversation),
  /** Streams the answer token by token; stopping the stream cancels the provider request. Every attempt is audited. */
  ask: base.input(AskInput).output(eventIterator(AskEvent)),

  /** Writes a proposed Dockerfile (+ .dockerignore) to its target. Only on the user's click. Audited. */
  applyDockerfile: base
    .meta({ mutating: true })
    .input(z.object({ messageId: Id }).strict())
    /** appId: set when it went to an app's build config; the next deploy of that app builds with it. */
    .output(z.object({ written: z.array(z.string()), message: AiMessage, appId: z.string().nullable() })),
  /** Records a user decision on a proposal (rejected, dismissed…) in the audit log. */
  decide: base
    .meta({ mutating: true })
    .input(
      z
        .object({
          messageId: Id,
          decision: z.enum(['rejected', 'dismissed', 'copied', 'declined']),
          what: z.enum(['dockerfile', 'command', 'answer']),
          /** command: the server and argv that were proposed (recorded, not run). */
          serverId: Id.optional(),
          argv: RunCommandInput.shape.argv.optional(),
        })
        .strict(),
    )
    .output(z.object({ ok: z.boolean() })),
  runCommand: base
    .meta({ mutating: true })
    .input(RunCommandInput)
    .output(z.object({ code: z.number().nullable(), stdout: z.string(), stderr: z.string(), truncated: z.boolean() })),
};
