import type { AiProviderId } from '../../../shared/contract/assistant.ts';
import { RateLimitedError, type RateLimiter } from './rate-limit.ts';
import { backoffMs, sleep } from './retry.ts';
import { isAbort, linkSignals } from '../core/async.ts';
import { ProviderError, type AiProvider, type ChatMessage } from './types.ts';

export interface Candidate {
  id: AiProviderId;
  model: string;
  /** Null when the provider cannot be used; `skip` says why (no key, no consent…). */
  provider: AiProvider | null;
  skip?: string;
  requestsPerMinute: number;
}

export type RunEvent =
  | { type: 'attempt'; provider: AiProviderId; model: string; attempt: number }
  | { type: 'retry'; provider: AiProviderId; delayMs: number; reason: string }
  | { type: 'fallback'; from: AiProviderId; reason: string }
  | { type: 'token'; text: string };

export interface RunOptions {
  maxOutputTokens: number;
  timeoutMs: number;
  maxAttempts: number;
  /** A retry-after longer than this is not waited for: the next provider is tried instead. */
  maxRetryWaitMs?: number;
  limiter: RateLimiter;
  signal: AbortSignal;
}

export interface RunResult {
  provider: AiProviderId;
  model: string;
  /** The answer reached the output budget and was cut there. */
  truncated: boolean;
}

/** Every candidate failed or was skipped; `reasons` has one line per provider. */
export class AllProvidersFailed extends Error {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(`No AI provider could answer: ${reasons.join('; ')}`);
    this.reasons = reasons;
  }
}

/** Failed after part of the answer was already streamed: no fallback (the user saw it), the error is reported. */
export class StreamBroken extends Error {
  constructor(cause: unknown) {
    super(`The answer broke off: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Runs one request through the fallback order: per provider, the client-side rate limit, attempts with
 * exponential backoff (honouring retry-after) on 429/5xx/network errors and timeouts, a watchdog for the first
 * token and for pauses mid-stream, and the output budget. Cancellation (`signal`) reaches the HTTP request.
 */
export async function* runWithFallback(candidates: Candidate[], messages: ChatMessage[], opts: RunOptions): AsyncGenerator<RunEvent, RunResult> {
  const reasons: string[] = [];
  const maxRetryWait = opts.maxRetryWaitMs ?? 60_000;
  const outputCap = opts.maxOutputTokens * 4;
  for (const c of candidates) {
    const fail = (reason: string): RunEvent => {
      reasons.push(`${c.id}: ${reason}`);
      return { type: 'fallback', from: c.id, reason };
    };
    if (!c.provider) {
      yield fail(c.skip ?? 'not available');
      continue;
    }
    for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
      try {
        await opts.limiter.acquire(c.id, c.requestsPerMinute, opts.timeoutMs, opts.signal);
      } catch (e) {
        if (e instanceof RateLimitedError) {
          yield fail(e.message);
          break;
        }
        throw e;
      }
      yield { type: 'attempt', provider: c.id, model: c.model, attempt };
      // A watchdog for the first token and for pauses mid-stream: re-armed at each token.
      const link = linkSignals({ timeoutMs: opts.timeoutMs, what: `${c.id} answering` }, opts.signal);
      let emitted = 0;
      let truncated = false;
      try {
        for await (const text of c.provider.chat({ model: c.model, messages, maxOutputTokens: opts.maxOutputTokens, signal: link.signal })) {
          link.restartTimeout();
          const piece = emitted + text.length > outputCap ? text.slice(0, Math.max(0, outputCap - emitted)) : text;
          if (piece) yield { type: 'token', text: piece };
          emitted += piece.length;
          if (emitted >= outputCap) {
            truncated = true;
            break;
          }
        }
        if (link.timedOut) throw new ProviderError(c.id, `no data for ${opts.timeoutMs} ms`, { retryable: true });
        return { provider: c.id, model: c.model, truncated };
      } catch (e) {
        if (opts.signal.aborted) throw e;
        const err =
          link.timedOut && !(e instanceof ProviderError && e.status !== null)
            ? new ProviderError(c.id, emitted ? `the stream stalled for ${opts.timeoutMs} ms` : `no answer within ${opts.timeoutMs} ms`, { retryable: true })
            : e instanceof ProviderError
              ? e
              : new ProviderError(c.id, isAbort(e) ? 'request aborted' : e instanceof Error ? e.message : String(e), { cause: e });
        if (emitted > 0) throw new StreamBroken(err);
        const delay = err.retryAfterMs ?? backoffMs(attempt);
        if (err.retryable && attempt < opts.maxAttempts && delay <= maxRetryWait) {
          yield { type: 'retry', provider: c.id, delayMs: delay, reason: err.message };
          await sleep(delay, opts.signal);
          continue;
        }
        yield fail(err.message);
        break;
      } finally {
        link.abort();
      }
    }
  }
  throw new AllProvidersFailed(reasons);
}
