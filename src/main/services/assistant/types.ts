import type { AiProviderId } from '../../../shared/contract/assistant.ts';

/** One message of a provider-neutral chat request. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  signal: AbortSignal;
}

/** One model API behind the common interface: streaming text, a model list, nothing else. */
export interface AiProvider {
  readonly id: AiProviderId;
  /** Streams the answer's text pieces. Must stop (and close the HTTP request) when `signal` aborts. */
  chat(req: ChatRequest): AsyncIterable<string>;
  listModels(signal: AbortSignal): Promise<string[]>;
}

/**
 * A provider failure, normalised: HTTP status when there was one, the server's retry-after when it sent one,
 * and whether another attempt may help (429, 5xx, network, timeout).
 */
export class ProviderError extends Error {
  readonly provider: AiProviderId;
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly retryable: boolean;
  constructor(provider: AiProviderId, message: string, opts: { status?: number | null; retryAfterMs?: number | null; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
    this.retryable = opts.retryable ?? (this.status === null || this.status === 429 || this.status >= 500);
  }
}
