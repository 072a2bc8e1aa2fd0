import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AskEvent, AskRequest } from '../../src/shared/contract/index.ts';
import { makeSampleRepo } from '../helpers/ai-servers/repo.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { startGeminiDouble, startGroqDouble, startOllamaDouble, type ProtocolDouble } from '../helpers/ai-servers/index.ts';

// The assistant through the real API (web transport), real SQLite and the OS keychain; providers are protocol doubles.
let app: TestApp;
let ollama: ProtocolDouble;
let gemini: ProtocolDouble;
let groq: ProtocolDouble;
let repo: string;

const GROQ_KEY = 'gsk_groqTestKey0123456789abcdefABCDEF';
const GEMINI_KEY = 'AIzaGeminiTestKey-0123456789abcdefghijklmn';
const KEYCHAIN_ONLY = 'keychain-only-Value-ZZ9-qx';

/** Secrets that must never reach a cloud provider, however they appear. */
const CORPUS = {
  envFileValue: 'env-file-secret-value-123',
  composePassword: 'compose-secret-pw-789',
  userEnvToken: 'tok-user-456-secret',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  privateKeyBody: 'MIIEowIBAAKCAQEA7bq8Zr3hXq1Tn4yVQdEXAMPLEPRIVATEKEYBODYxyz',
  urlPassword: 'url-pass-4242',
  githubToken: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  keychainValue: KEYCHAIN_ONLY,
  groqKey: GROQ_KEY,
  geminiKey: GEMINI_KEY,
};

const makeRepo = () => makeSampleRepo(CORPUS);

async function ask(input: AskRequest, opts: { stopAfterTokens?: number } = {}): Promise<AskEvent[]> {
  const ac = new AbortController();
  const events: AskEvent[] = [];
  try {
    for await (const ev of await app.client.assistant.ask(input, { signal: ac.signal })) {
      events.push(ev);
      if (opts.stopAfterTokens && events.filter((e) => e.type === 'token').length >= opts.stopAfterTokens) ac.abort();
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  }
  return events;
}

const done = (events: AskEvent[]) => events.find((e) => e.type === 'done')!.message;

beforeAll(async () => {
  [ollama, gemini, groq] = await Promise.all([startOllamaDouble(), startGeminiDouble(), startGroqDouble()]);
  app = await startTestApp();
  repo = makeRepo();
  await app.client.assistant.updateSettings({
    providers: {
      ollama: { baseUrl: ollama.url, model: 'qwen2.5-coder:7b', requestsPerMinute: 600 },
      gemini: { baseUrl: gemini.url, model: 'gemini-2.5-flash', requestsPerMinute: 600 },
      groq: { baseUrl: groq.url, model: 'llama-3.3-70b-versatile', requestsPerMinute: 600 },
    },
    timeoutMs: 5000,
  });
  await app.client.assistant.setApiKey({ provider: 'groq', apiKey: GROQ_KEY });
  await app.client.assistant.setApiKey({ provider: 'gemini', apiKey: GEMINI_KEY });
  await app.services.secrets.put('database password', 'password', KEYCHAIN_ONLY);
});
afterAll(async () => {
  await app?.close();
  await Promise.all([ollama?.close(), gemini?.close(), groq?.close()]);
  if (repo) rmSync(repo, { recursive: true, force: true });
});
beforeEach(() => {
  for (const d of [ollama, gemini, groq]) d.queue.length = 0;
});

describe('assistant API', () => {
  it('reports provider status with models; keys live in the keychain, not in SQLite or the audit log', async () => {
    const status = await app.client.assistant.status();
    expect(status.find((s) => s.id === 'ollama')).toMatchObject({ reachable: true, remote: false, models: expect.arrayContaining(['qwen2.5-coder:7b']) as unknown });
    expect(status.find((s) => s.id === 'groq')).toMatchObject({ hasKey: true, reachable: true, remote: true });
    expect(status.find((s) => s.id === 'gemini')).toMatchObject({ hasKey: true, reachable: true, remote: true });
    const db = readFileSync(join(app.dataDir, 'openpanel.db')).toString('latin1') + readFileSync(join(app.dataDir, 'openpanel.db-wal')).toString('latin1');
    expect(db).not.toContain(GROQ_KEY);
    const audit = JSON.stringify(await app.client.activity.list({ action: 'assistant.setApiKey' }));
    expect(audit).toContain('[redacted]');
    expect(audit).not.toContain(GROQ_KEY);
    const bad = await rpcError(app.client.assistant.updateSettings({ fallbackOrder: ['groq', 'groq'] }));
    expect(bad.code).toBe('INPUT_INVALID');
    expect(bad.message).toMatch(/fallbackOrder: expected each provider at most once/);
  });

  it('streams an Ollama answer token by token and stores the conversation; no consent needed on loopback', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    ollama.queue.push({ kind: 'stream', tokens: ['Use ', '`docker ps`', ' to list.'], delayMs: 30 });
    const events = await ask({ conversationId: conv.id, text: 'How do I list containers?' });
    expect(events[0]!.type).toBe('user');
    expect(events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text)).toEqual(['Use ', '`docker ps`', ' to list.']);
    expect(done(events)).toMatchObject({ role: 'assistant', content: 'Use `docker ps` to list.', provider: 'ollama', status: 'complete' });
    const { messages } = await app.client.assistant.conversation({ id: conv.id });
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    // The next question carries the history.
    ollama.queue.push({ kind: 'stream', tokens: ['Sure.'] });
    await ask({ conversationId: conv.id, text: 'And stopped ones?' });
    const sent = JSON.parse(ollama.chats().at(-1)!.body) as { messages: { role: string; content: string }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    // Every request is audited with provider, model, size and hash of what was sent.
    const audit = await app.client.activity.list({ action: 'assistant.request' });
    const entry = JSON.parse(audit[0]!.input!) as { provider: string; model: string; bytes: number; sha256: string };
    expect(entry).toMatchObject({ provider: 'ollama', model: 'qwen2.5-coder:7b' });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.bytes).toBeGreaterThan(100);
  });

  it('stop cancels the provider request and keeps the partial answer as stopped', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    ollama.queue.push({ kind: 'stream', tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), delayMs: 30 });
    const events = await ask({ conversationId: conv.id, text: 'Write a lot' }, { stopAfterTokens: 3 });
    expect(events.some((e) => e.type === 'done')).toBe(false);
    const rec = ollama.chats().at(-1)!;
    await waitFor(() => rec.aborted, 'the Ollama request to be closed');
    expect(rec.chunksSent).toBeLessThan(100);
    const msg = await waitFor(async () => (await app.client.assistant.conversation({ id: conv.id })).messages.find((m) => m.role === 'assistant'), 'the stopped message');
    expect(msg.status).toBe('stopped');
    expect(msg.content).toMatch(/^w0 w1 w2/);
  });

  it('asks for consent before a cloud provider: skipped in the fallback order, refused when picked explicitly', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    await app.client.assistant.updateSettings({ fallbackOrder: ['groq', 'ollama'] });
    try {
      const before = groq.chats().length;
      const preview = await app.client.assistant.preview({ conversationId: conv.id, text: 'hello cloud' });
      expect(preview).toMatchObject({ provider: 'groq', remote: true, needsConsent: true });
      expect(preview.sha256).toBe(createHash('sha256').update(preview.payload).digest('hex'));
      ollama.queue.push({ kind: 'stream', tokens: ['local'] });
      const events = await ask({ conversationId: conv.id, text: 'hello cloud' });
      expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'groq', reason: expect.stringMatching(/no consent/) as unknown });
      expect(done(events).provider).toBe('ollama');
      const refused = await rpcError(ask({ conversationId: conv.id, text: 'x', provider: 'groq' }));
      expect(refused.code).toBe('CONSENT_REQUIRED');
      expect(groq.chats().length).toBe(before);

      await app.client.assistant.consent({ conversationId: conv.id, provider: 'groq', granted: true, sha256: preview.sha256 });
      groq.queue.push({ kind: 'stream', tokens: ['from ', 'groq'] });
      const after = await ask({ conversationId: conv.id, text: 'hello cloud' });
      expect(done(after)).toMatchObject({ provider: 'groq', content: 'from groq' });
      expect(groq.chats().length).toBe(before + 1);
      expect((await app.client.activity.list({ action: 'assistant.consent' }))[0]).toMatchObject({ result: 'ok', target: null });
    } finally {
      await app.client.assistant.updateSettings({ fallbackOrder: ['ollama', 'groq', 'gemini'] });
    }
  });

  it('falls back from a failing local model to the next (consented) cloud provider', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    await app.client.assistant.consent({ conversationId: conv.id, provider: 'gemini', granted: true });
    await app.client.assistant.updateSettings({ fallbackOrder: ['ollama', 'gemini'], maxAttempts: 1 });
    try {
      ollama.queue.push({ kind: 'error', status: 500, message: 'model crashed' });
      gemini.queue.push({ kind: 'stream', tokens: ['gemini ', 'answer'] });
      const events = await ask({ conversationId: conv.id, text: 'hi' });
      expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'ollama', reason: expect.stringMatching(/500/) as unknown });
      expect(done(events)).toMatchObject({ provider: 'gemini', content: 'gemini answer', status: 'complete' });
    } finally {
      await app.client.assistant.updateSettings({ fallbackOrder: ['ollama', 'groq', 'gemini'], maxAttempts: 3 });
    }
  });
});
