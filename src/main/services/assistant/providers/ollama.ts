import { Ollama } from 'ollama';
import { parseRetryAfter } from '../retry.ts';
import { isAbort } from '../../core/async.ts';
import { ProviderError, type AiProvider, type ChatRequest } from '../types.ts';

/** A fetch that also honours `signal`, so every request of the library is cancellable from outside. */
function fetchWith(signal: AbortSignal | null): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: signal ? (init?.signal ? AbortSignal.any([init.signal, signal]) : signal) : (init?.signal ?? null) });
}

function normalise(e: unknown, retryAfter: () => string | null = () => null): unknown {
  if (isAbort(e) || e instanceof ProviderError) return e;
  const status = (e as { status_code?: number }).status_code;
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof status === 'number') return new ProviderError('ollama', `Ollama answered ${status}: ${msg}`, { status, retryAfterMs: parseRetryAfter(retryAfter()), cause: e });
  return new ProviderError('ollama', `Ollama: ${msg}`, { cause: e });
}

/** Ollama through its official library (`ollama`): NDJSON streaming of /api/chat, /api/tags, /api/pull. */
export class OllamaProvider implements AiProvider {
  readonly id = 'ollama' as const;
  private readonly host: string;
  constructor(host: string) {
    this.host = host;
  }

  private client(signal: AbortSignal | null): Ollama {
    return new Ollama({ host: this.host, fetch: fetchWith(signal) });
  }

  /**
   * A client whose fetch keeps the last response's Retry-After header: the library's errors carry only the
   * status, so a 429's delay is read here (through the library's documented `fetch` option).
   */
  private clientWithHeaders(signal: AbortSignal | null): { ollama: Ollama; retryAfter: () => string | null } {
    let retryAfter: string | null = null;
    const base = fetchWith(signal);
    const ollama = new Ollama({
      host: this.host,
      fetch: async (input, init) => {
        const res = await base(input, init);
        retryAfter = res.headers.get('retry-after');
        return res;
      },
    });
    return { ollama, retryAfter: () => retryAfter };
  }

  async *chat(req: ChatRequest): AsyncIterable<string> {
    let stream;
    const { ollama, retryAfter } = this.clientWithHeaders(req.signal);
    try {
      stream = await ollama.chat({ model: req.model, messages: req.messages, stream: true, options: { num_predict: req.maxOutputTokens } });
    } catch (e) {
      throw normalise(e, retryAfter);
    }
    try {
      for await (const part of stream) if (part.message?.content) yield part.message.content;
    } catch (e) {
      throw normalise(e);
    } finally {
      stream.abort();
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      const res = await this.client(signal).list();
      return res.models.map((m) => m.name);
    } catch (e) {
      throw normalise(e);
    }
  }

  async *pull(model: string, signal: AbortSignal): AsyncIterable<{ status: string; completed: number | null; total: number | null }> {
    let stream;
    try {
      stream = await this.client(signal).pull({ model, stream: true });
    } catch (e) {
      throw normalise(e);
    }
    try {
      for await (const p of stream) yield { status: p.status, completed: p.completed ?? null, total: p.total ?? null };
    } catch (e) {
      throw normalise(e);
    } finally {
      stream.abort();
    }
  }
}
