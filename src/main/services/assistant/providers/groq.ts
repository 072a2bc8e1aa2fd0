import Groq from 'groq-sdk';
import { parseRetryAfter } from '../retry.ts';
import { isAbort } from '../../core/async.ts';
import { ProviderError, type AiProvider, type ChatRequest } from '../types.ts';

function normalise(e: unknown): unknown {
  if (isAbort(e) || e instanceof ProviderError) return e;
  const err = e as { status?: unknown; headers?: Headers | Record<string, string> | undefined; message?: string };
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof err.status === 'number') {
    const h = err.headers;
    const ra = h ? (typeof (h as Headers).get === 'function' ? (h as Headers).get('retry-after') : (h as Record<string, string>)['retry-after']) : null;
    return new ProviderError('groq', `Groq answered ${err.status}: ${msg.slice(0, 300)}`, { status: err.status, retryAfterMs: parseRetryAfter(ra ?? null), cause: e });
  }
  return new ProviderError('groq', `Groq: ${msg}`, { cause: e });
}

/** Groq through its official SDK (`groq-sdk`): OpenAI-compatible `/openai/v1/chat/completions` with SSE. */
export class GroqProvider implements AiProvider {
  readonly id = 'groq' as const;
  private readonly client: Groq;
  constructor(opts: { apiKey: string; baseUrl: string; timeoutMs: number }) {
    // Retries are ours (retry-after, fallback), so the SDK's own are off.
    this.client = new Groq({ apiKey: opts.apiKey, baseURL: opts.baseUrl, maxRetries: 0, timeout: opts.timeoutMs });
  }

  async *chat(req: ChatRequest): AsyncIterable<string> {
    try {
      const stream = await this.client.chat.completions.create({ model: req.model, messages: req.messages, stream: true, max_tokens: req.maxOutputTokens }, { signal: req.signal });
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) yield text;
      }
    } catch (e) {
      throw normalise(e);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      const res = await this.client.models.list({ signal });
      return res.data.map((m) => m.id);
    } catch (e) {
      throw normalise(e);
    }
  }
}
