import { GoogleGenAI } from '@google/genai';
import { parseRetryAfter, parseRetryDelay } from '../retry.ts';
import { isAbort } from '../../core/async.ts';
import { ProviderError, type AiProvider, type ChatRequest } from '../types.ts';

/** Gemini through Google's maintained SDK (`@google/genai`): `:streamGenerateContent?alt=sse`. */
export class GeminiProvider implements AiProvider {
  readonly id = 'gemini' as const;
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  constructor(opts: { apiKey: string; baseUrl: string; timeoutMs: number }) {
    this.apiKey = opts.apiKey;
    this.baseUrl = opts.baseUrl;
    this.timeoutMs = opts.timeoutMs;
  }

  /** A client per request, so the retry-after header of its last response can be read back. */
  private client(): { ai: GoogleGenAI; retryAfter: () => number | null } {
    let retryAfter: string | null = null;
    const ai = new GoogleGenAI({
      apiKey: this.apiKey,
      httpOptions: {
        baseUrl: this.baseUrl,
        timeout: this.timeoutMs,
        fetch: async (input: string | URL | Request, init?: RequestInit) => {
          const res = await fetch(input, init);
          retryAfter = res.headers.get('retry-after');
          return res;
        },
      },
    });
    return { ai, retryAfter: () => parseRetryAfter(retryAfter) };
  }

  private normalise(e: unknown, retryAfter: number | null): unknown {
    if (isAbort(e) || e instanceof ProviderError) return e;
    const status = (e as { status?: unknown }).status;
    const msg = e instanceof Error ? e.message : String(e);
    if (typeof status === 'number') {
      return new ProviderError('gemini', `Gemini answered ${status}: ${msg.slice(0, 300)}`, { status, retryAfterMs: retryAfter ?? parseRetryDelay(msg), cause: e });
    }
    return new ProviderError('gemini', `Gemini: ${msg}`, { cause: e });
  }

  async *chat(req: ChatRequest): AsyncIterable<string> {
    const { ai, retryAfter } = this.client();
    const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    const contents = req.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
    try {
      const stream = await ai.models.generateContentStream({
        model: req.model,
        contents,
        config: { ...(system ? { systemInstruction: system } : {}), maxOutputTokens: req.maxOutputTokens, abortSignal: req.signal },
      });
      for await (const chunk of stream) {
        if (req.signal.aborted) break;
        const text = chunk.text;
        if (text) yield text;
      }
    } catch (e) {
      throw this.normalise(e, retryAfter());
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    const { ai, retryAfter } = this.client();
    try {
      const pager = await ai.models.list({ config: { pageSize: 100, abortSignal: signal } });
      return pager.page.map((m) => (m.name ?? '').replace(/^models\//, '')).filter(Boolean);
    } catch (e) {
      throw this.normalise(e, retryAfter());
    }
  }
}
