import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runWithFallback, AllProvidersFailed, StreamBroken, type Candidate, type RunEvent } from '../../src/main/services/assistant/orchestrator.ts';
import { GeminiProvider, GroqProvider, OllamaProvider } from '../../src/main/services/assistant/providers/index.ts';
import { RateLimiter } from '../../src/main/services/assistant/rate-limit.ts';
import type { AiProvider, ChatMessage } from '../../src/main/services/assistant/types.ts';
import { startGeminiDouble, startGroqDouble, startOllamaDouble, type ProtocolDouble } from '../helpers/ai-servers/index.ts';

// The real client libraries (ollama, @google/genai, groq-sdk) against local protocol doubles on 127.0.0.1.
let ollama: ProtocolDouble;
let gemini: ProtocolDouble;
let groq: ProtocolDouble;
const messages: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello' },
];

beforeAll(async () => {
  [ollama, gemini, groq] = await Promise.all([startOllamaDouble(), startGeminiDouble(), startGroqDouble()]);
});
beforeEach(() => {
  for (const d of [ollama, gemini, groq]) d.queue.length = 0;
});
afterAll(async () => {
  await Promise.all([ollama.close(), gemini.close(), groq.close()]);
});

function providers(timeoutMs = 5000): Record<'ollama' | 'gemini' | 'groq', AiProvider> {
  return {
    ollama: new OllamaProvider(ollama.url),
    gemini: new GeminiProvider({ apiKey: 'gem-test-key', baseUrl: gemini.url, timeoutMs }),
    groq: new GroqProvider({ apiKey: 'gsk-test-key', baseUrl: groq.url, timeoutMs }),
  };
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const t of it) out.push(t);
  return out;
}

async function drain(gen: AsyncGenerator<RunEvent, unknown>): Promise<{ events: RunEvent[]; result: unknown; error: unknown }> {
  const events: RunEvent[] = [];
  try {
    for (let r = await gen.next(); ; r = await gen.next()) {
      if (r.done) return { events, result: r.value, error: null };
      events.push(r.value);
    }
  } catch (e) {
    return { events, result: null, error: e };
  }
}

const cand = (id: 'ollama' | 'gemini' | 'groq', p: AiProvider, model = 'm-1'): Candidate => ({ id, model, provider: p, requestsPerMinute: 1000 });

describe('providers over their wire protocols', () => {
  it('streams tokens from each provider in order, with the request each protocol expects', async () => {
    const p = providers();
    const signal = new AbortController().signal;
    ollama.queue.push({ kind: 'stream', tokens: ['A', 'B', 'C'] });
    gemini.queue.push({ kind: 'stream', tokens: ['D', 'E'] });
    groq.queue.push({ kind: 'stream', tokens: ['F', 'G', 'H', 'I'] });
    expect(await collect(p.ollama.chat({ model: 'qwen2.5-coder:7b', messages, maxOutputTokens: 64, signal }))).toEqual(['A', 'B', 'C']);
    expect(await collect(p.gemini.chat({ model: 'gemini-2.5-flash', messages, maxOutputTokens: 64, signal }))).toEqual(['D', 'E']);
    expect(await collect(p.groq.chat({ model: 'llama-3.3-70b-versatile', messages, maxOutputTokens: 64, signal }))).toEqual(['F', 'G', 'H', 'I']);

    const o = JSON.parse(ollama.chats().at(-1)!.body) as { model: string; stream: boolean; messages: ChatMessage[]; options: { num_predict: number } };
    expect(o).toMatchObject({ model: 'qwen2.5-coder:7b', stream: true, options: { num_predict: 64 } });
    expect(o.messages).toEqual(messages);

    const g = gemini.chats().at(-1)!;
    expect(g.path).toMatch(/^\/v1(beta)?\/models\/gemini-2.5-flash:streamGenerateContent\?alt=sse$/);
    expect(g.headers['x-goog-api-key']).toBe('gem-test-key');
    const gb = JSON.parse(g.body) as { contents: { role: string; parts: { text: string }[] }[]; systemInstruction: { parts: { text: string }[] }; generationConfig: { maxOutputTokens: number } };
    expect(gb.contents).toEqual([{ role: 'user', parts: [{ text: 'Say hello' }] }]);
    expect(gb.systemInstruction.parts[0]!.text).toBe('You are terse.');
    expect(gb.generationConfig.maxOutputTokens).toBe(64);

    const q = groq.chats().at(-1)!;
    expect(q.headers.authorization).toBe('Bearer gsk-test-key');
    expect(JSON.parse(q.body)).toMatchObject({ model: 'llama-3.3-70b-versatile', stream: true, max_tokens: 64, messages });
  });

  it('lists models from each provider and pulls an Ollama model with progress', async () => {
    const p = providers();
    const signal = AbortSignal.timeout(5000);
    expect(await p.ollama.listModels(signal)).toContain('qwen2.5-coder:7b');
    expect(await p.gemini.listModels(signal)).toContain('gemini-2.5-flash');
    expect(await p.groq.listModels(signal)).toContain('llama-3.3-70b-versatile');
    const progress = [];
    for await (const step of new OllamaProvider(ollama.url).pull('llama3.2:3b', signal)) progress.push(step);
    expect(progress.map((s) => s.completed).filter((c) => c !== null)).toEqual([1000, 2000, 3000]);
    expect(progress.at(-1)!.status).toBe('success');
  });

  it.each(['ollama', 'gemini', 'groq'] as const)('%s: errors carry the status; 429 carries retry-after', async (id) => {
    const double = { ollama, gemini, groq }[id];
    double.queue.push({ kind: 'error', status: 429, retryAfter: '3', message: 'slow down' });
    const err = await collect(providers()[id].chat({ model: 'm', messages, maxOutputTokens: 10, signal: new AbortController().signal })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ProviderError', provider: id, status: 429, retryable: true });
    // The Retry-After header reaches us from every library (Ollama's and Gemini's through a fetch that keeps it).
    expect((err as { retryAfterMs: number }).retryAfterMs).toBe(3000);
    double.queue.push({ kind: 'error', status: 400, message: 'bad model' });
    const bad = await collect(providers()[id].chat({ model: 'm', messages, maxOutputTokens: 10, signal: new AbortController().signal })).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, retryable: false });
  });

  it.each(['ollama', 'gemini', 'groq'] as const)('%s: aborting mid-stream closes the HTTP request', async (id) => {
    const double = { ollama, gemini, groq }[id];
    double.queue.push({ kind: 'stream', tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), delayMs: 20 });
    const ac = new AbortController();
    const got: string[] = [];
    const err = await (async () => {
      for await (const t of providers()[id].chat({ model: 'm', messages, maxOutputTokens: 10, signal: ac.signal })) {
        got.push(t);
        if (got.length === 3) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got.length).toBeLessThan(200);
    const rec = double.chats().at(-1)!;
    await expectEventually(() => rec.aborted);
    expect(rec.chunksSent).toBeLessThan(200);
    // Either the library reports the abort or the loop ended quietly; it must not complete the stream.
    if (err) expect(String((err as Error).name)).toMatch(/Abort|ProviderError/);
  });
});

async function expectEventually(fn: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!fn() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(fn()).toBe(true);
}

describe('orchestration: retries, timeouts, fallback, budget', () => {
  const opts = (signal = new AbortController().signal, o: Partial<{ timeoutMs: number; maxAttempts: number; maxOutputTokens: number }> = {}) => ({
    maxOutputTokens: 1000,
    timeoutMs: 3000,
    maxAttempts: 3,
    limiter: new RateLimiter(),
    signal,
    ...o,
  });

  it('honours retry-after on 429, then succeeds on the same provider', async () => {
    groq.queue.push({ kind: 'error', status: 429, retryAfter: '1' }, { kind: 'stream', tokens: ['ok'] });
    const before = groq.chats().length;
    const started = Date.now();
    const { events, result } = await drain(runWithFallback([cand('groq', providers().groq)], messages, opts()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.find((e) => e.type === 'retry')).toMatchObject({ provider: 'groq', delayMs: 1000 });
    expect(events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text)).toEqual(['ok']);
    expect(result).toMatchObject({ provider: 'groq' });
    expect(groq.chats().length - before).toBe(2);
  });

  it('honours Ollama\'s retry-after on 429 (read through the library\'s fetch option), then succeeds', async () => {
    ollama.queue.push({ kind: 'error', status: 429, retryAfter: '1' }, { kind: 'stream', tokens: ['local', ' ok'] });
    const before = ollama.chats().length;
    const started = Date.now();
    const { events, result } = await drain(runWithFallback([cand('ollama', providers().ollama)], messages, opts()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.find((e) => e.type === 'retry')).toMatchObject({ provider: 'ollama', delayMs: 1000 });
    expect(events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text)).toEqual(['local', ' ok']);
    expect(result).toMatchObject({ provider: 'ollama' });
    expect(ollama.chats().length - before).toBe(2);
  });

  it('backs off exponentially on 5xx and falls back to the next provider when attempts run out', async () => {
    gemini.queue.push({ kind: 'error', status: 503 }, { kind: 'error', status: 500 });
    groq.queue.push({ kind: 'stream', tokens: ['from', ' groq'] });
    const p = providers();
    const { events, result } = await drain(runWithFallback([cand('gemini', p.gemini), cand('groq', p.groq)], messages, opts(undefined, { maxAttempts: 2 })));
    expect(events.map((e) => e.type)).toEqual(['attempt', 'retry', 'attempt', 'fallback', 'attempt', 'token', 'token']);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'gemini' });
    expect(result).toMatchObject({ provider: 'groq' });
  });

  it('a slow stream that pauses longer than the timeout is retried, then falls back', async () => {
    ollama.queue.push({ kind: 'hang' }, { kind: 'stream', tokens: ['late'], delayMs: 0 });
    const p = providers();
    ollama.queue.length = 0;
    ollama.queue.push({ kind: 'hang' }, { kind: 'hang' });
    groq.queue.push({ kind: 'stream', tokens: ['fast'] });
    const started = Date.now();
    const { events, result } = await drain(runWithFallback([cand('ollama', p.ollama), cand('groq', p.groq)], messages, opts(undefined, { timeoutMs: 400, maxAttempts: 2 })));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'ollama', reason: expect.stringMatching(/no answer within 400 ms/) as unknown });
    expect(result).toMatchObject({ provider: 'groq' });
    // The stalled requests were closed by the client.
    await expectEventually(() => ollama.chats().slice(-2).every((r) => r.aborted));
  });

  it('slow but steady streams are not cut (the timeout is per pause, not per answer)', async () => {
    ollama.queue.push({ kind: 'stream', tokens: ['a', 'b', 'c', 'd', 'e', 'f'], delayMs: 150 });
    const { events, result } = await drain(runWithFallback([cand('ollama', providers().ollama)], messages, opts(undefined, { timeoutMs: 400 })));
    expect(events.filter((e) => e.type === 'token')).toHaveLength(6);
    expect(result).toMatchObject({ provider: 'ollama', truncated: false });
  });

  it('a stream that breaks after tokens were shown is reported, not silently replaced', async () => {
    ollama.queue.push({ kind: 'stream', tokens: ['partial', ' answer'], delayMs: 10 });
    const broken: AiProvider = {
      id: 'ollama',
      listModels: () => Promise.resolve([]),
      async *chat(req) {
        yield* providers().ollama.chat(req);
        throw new Error('connection reset');
      },
    };
    const { events, error } = await drain(runWithFallback([cand('ollama', broken), cand('groq', providers().groq)], messages, opts()));
    expect(error).toBeInstanceOf(StreamBroken);
    expect(events.filter((e) => e.type === 'token')).toHaveLength(2);
    expect(events.some((e) => e.type === 'fallback')).toBe(false);
  });

  it('cuts the answer at the output token budget', async () => {
    groq.queue.push({ kind: 'stream', tokens: Array.from({ length: 50 }, () => 'abcdefgh') });
    const { events, result } = await drain(runWithFallback([cand('groq', providers().groq)], messages, opts(undefined, { maxOutputTokens: 10 })));
    const text = events.flatMap((e) => (e.type === 'token' ? [e.text] : [])).join('');
    expect(text.length).toBe(40);
    expect(result).toMatchObject({ truncated: true });
  });

  it('skips providers that cannot be used and fails with every reason when none answers', async () => {
    ollama.queue.push({ kind: 'error', status: 404, message: 'model "x" not found, try pulling it first' });
    const { events, error } = await drain(
      runWithFallback([{ id: 'gemini', model: 'g', provider: null, skip: 'no API key', requestsPerMinute: 10 }, cand('ollama', providers().ollama)], messages, opts()),
    );
    expect(events.filter((e) => e.type === 'fallback').map((e) => (e as { from: string }).from)).toEqual(['gemini', 'ollama']);
    expect(error).toBeInstanceOf(AllProvidersFailed);
    expect((error as AllProvidersFailed).reasons.join('\n')).toMatch(/gemini: no API key[\s\S]*ollama: .*not found/);
  });

  it('a per-provider rate limit hands over to the next provider instead of waiting past the timeout', async () => {
    const limiter = new RateLimiter();
    const p = providers();
    const run = () => drain(runWithFallback([{ ...cand('groq', p.groq), requestsPerMinute: 1 }, cand('ollama', p.ollama)], messages, { ...opts(), limiter }));
    expect((await run()).result).toMatchObject({ provider: 'groq' });
    const second = await run();
    expect(second.events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'groq', reason: expect.stringMatching(/limit per minute/) as unknown });
    expect(second.result).toMatchObject({ provider: 'ollama' });
  });

  it('cancellation during a retry wait ends at once', async () => {
    groq.queue.push({ kind: 'error', status: 429, retryAfter: '30' });
    const ac = new AbortController();
    const gen = runWithFallback([cand('groq', providers().groq)], messages, { ...opts(ac.signal), maxRetryWaitMs: 60_000 });
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const { error } = await drain(gen);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((error as Error).name).toBe('AbortError');
  });
});
