import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { startGroqDouble, startOllamaDouble, type ProtocolDouble } from '../helpers/ai-servers/index.ts';

// No provider reachable: the assistant says so once, before anything is stored or sent; status says it in words.
describe('assistant with no provider (real API, SQLite, keychain; Ollama double on loopback)', () => {
  let app: TestApp;
  let port: number;
  let ollama: ProtocolDouble | undefined;
  let groq: ProtocolDouble | undefined;

  beforeAll(async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    app = await startTestApp();
    const current = await app.client.assistant.settings();
    await app.client.assistant.updateSettings({ providers: { ...current.providers, ollama: { ...current.providers.ollama, baseUrl: `http://127.0.0.1:${port}` } }, fallbackOrder: ['ollama', 'groq'], timeoutMs: 3000 });
  });
  afterAll(async () => {
    await app?.close();
    await ollama?.close();
    await groq?.close();
  });

  it('status probes each provider and says what it found', async () => {
    const status = await app.client.assistant.status();
    expect(status.find((s) => s.id === 'ollama')).toMatchObject({ reachable: false, modelAvailable: null, summary: expect.stringMatching(new RegExp(`^Ollama at http://127\\.0\\.0\\.1:${port}: not reachable .*Install Ollama`)) });
    expect(status.find((s) => s.id === 'groq')).toMatchObject({ reachable: null, hasKey: false, summary: 'Groq: no API key (add one to use Groq).' });
  });

  it('preview and ask fail once with AI_UNAVAILABLE naming each provider; nothing is stored', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    const input = { conversationId: conv.id, text: 'Why did it crash?' };
    for (const call of [app.client.assistant.preview(input), (async () => {
      for await (const ev of await app.client.assistant.ask(input)) throw new Error(`unexpected event ${ev.type}`);
    })()]) {
      const err = await rpcError(call);
      expect(err.code).toBe('AI_UNAVAILABLE');
      expect(err.message).toMatch(/^No AI provider is available\. Ollama at .* not reachable .* Groq: no API key .* press Test\.$/);
    }
    expect((await app.client.assistant.conversation({ id: conv.id })).messages).toEqual([]);
  });

  it('a provider with a key (positive control), and then Ollama on its port, make the same request go through', async () => {
    groq = await startGroqDouble();
    const current = await app.client.assistant.settings();
    await app.client.assistant.updateSettings({ providers: { ...current.providers, groq: { ...current.providers.groq, baseUrl: groq.url } } });
    await app.client.assistant.setApiKey({ provider: 'groq', apiKey: 'gsk_unavailableTest0123456789abcdefAB' });
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    // A cloud key counts without a probe: the preview (where consent starts) goes through.
    expect((await app.client.assistant.preview({ conversationId: conv.id, text: 'hi' })).payload).toContain('hi');
    expect(groq.requests).toEqual([]);

    await app.client.assistant.setApiKey({ provider: 'groq', apiKey: '' });
    ollama = await startOllamaDouble({ port, models: ['qwen2.5-coder:7b'] });
    const status = await app.client.assistant.status();
    expect(status.find((s) => s.id === 'ollama')).toMatchObject({ reachable: true, modelAvailable: true, summary: 'Ollama: reachable, model qwen2.5-coder:7b' });
    const events = [];
    for await (const ev of await app.client.assistant.ask({ conversationId: conv.id, text: 'hi' })) events.push(ev);
    expect(events.find((e) => e.type === 'done')).toMatchObject({ message: { status: 'complete', provider: 'ollama' } });
  });
});
