import { sleep as waitFor } from '../core/async.ts';

/** Parses a Retry-After header: delay-seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Google's RetryInfo (`"retryDelay": "7s"` in an error body), which Gemini sends on 429. */
export function parseRetryDelay(body: string): number | null {
  const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return m ? Math.round(Number(m[1]) * 1000) : null;
}

/** Exponential backoff with full jitter: attempt 1 → [0, base), 2 → [0, 2·base)…, capped. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 8000, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));
}

/** Waits, or rejects with an AbortError as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
  if (!(await waitFor(ms, signal))) throw new DOMException('aborted', 'AbortError');
}
