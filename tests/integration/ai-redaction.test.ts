import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AskEvent, AskRequest } from '../../src/shared/contract/index.ts';
import { makeSampleRepo } from '../helpers/ai-servers/repo.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startDoubles, useDoubles, type Doubles } from '../helpers/ai-servers/index.ts';

// What leaves the machine: secrets in repositories, prompts and logs never reach a cloud provider (asserted on the
// protocol double's side, on the raw request bodies), and a generated Dockerfile is applied only on request.
let app: TestApp;
let d: Doubles;
let repo: string;

const GROQ_KEY = 'gsk_groqRedactKey0123456789abcdefABCDEF';
const GEMINI_KEY = 'AIzaGeminiRedactKey-0123456789abcdefghijk';
const KEYCHAIN_ONLY = 'keychain-only-Value-ZZ9-qx';
const PEM_BODY = 'MIIEowIBAAKCAQEA7bq8Zr3hXq1Tn4yVQdEXAMPLEPRIVATEKEYBODYxyz';
const PRIVATE_KEY = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\nAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/==\n-----END RSA PRIVATE KEY-----`;

/** Secrets that must never reach a cloud provider, however they appear. */
const CORPUS = {
  envFileValue: 'env-file-secret-value-123',
  composePassword: 'compose-secret-pw-789',
  promptEnvToken: 'tok-user-456-secret',
  logEnvPassword: 'log-leaked-pw-31337',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  privateKey: PEM_BODY,
  urlPassword: 'url-pass-4242',
  logUrlPassword: 'redis-url-pw-5150',
  githubToken: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  keychainValue: KEYCHAIN_ONLY,
  groqKey: GROQ_KEY,
  geminiKey: GEMINI_KEY,
};

const DOCKERFILE_ANSWER = [
  'Here is a Dockerfile for your Express app:\n\n',
  '```dockerfile\nFROM node:22-alpine\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nUSER node\nEXPOSE 3000\nCMD ["node", "server.js"]\n```\n\n',
  '```dockerignore\nnode_modules\n.env\n.git\n```\n',
  'It runs as the `node` user.',
];

const makeRepo = () => makeSampleRepo(CORPUS);

async function ask(input: AskRequest): Promise<AskEvent[]> {
  const events: AskEvent[] = [];
  for await (const ev of await app.client.assistant.ask(input)) events.push(ev);
  return events;
}
const done = (events: AskEvent[]) => events.find((e) => e.type === 'done')!.message;

/** Every form a secret could take in a JSON body: raw, JSON-escaped, and the slash-escaped form. */
function leaks(body: string): string[] {
  return Object.entries(CORPUS)
    .filter(([, v]) => [v, JSON.stringify(v).slice(1, -1), v.replaceAll('/', '\\/')].some((form) => body.includes(form)))
    .map(([k]) => k);
}

beforeAll(async () => {
  d = await startDoubles();
  app = await startTestApp();
  repo = makeRepo();
  await useDoubles(app.client, d, { groq: GROQ_KEY, gemini: GEMINI_KEY });
  await app.services.secrets.put('database password', 'password', KEYCHAIN_ONLY);
});
afterAll(async () => {
  await app?.close();
  await d?.close();
  if (repo) rmSync(repo, { recursive: true, force: true });
});
beforeEach(() => d.reset());

const PROMPT = [
  `My env has API_TOKEN=${CORPUS.promptEnvToken} and aws_access_key_id = ${CORPUS.awsKeyId}`,
  `aws_secret_access_key = ${CORPUS.awsSecret}`,
  `Our CI pushes with ${CORPUS.githubToken}; the session cookie is ${CORPUS.jwt}.`,
  `The database password ${KEYCHAIN_ONLY} is also in the logs.`,
  `This key is on the server:\n${PRIVATE_KEY}`,
].join('\n');

const LOG_LINES = [
  '2025-06-01T10:00:00Z starting shop',
  `2025-06-01T10:00:01Z connecting to redis://default:${CORPUS.logUrlPassword}@cache:6379/0`,
  `2025-06-01T10:00:01Z env: SMTP_PASSWORD=${CORPUS.logEnvPassword} AWS_SECRET_ACCESS_KEY=${CORPUS.awsSecret}`,
  `2025-06-01T10:00:02Z Authorization: Bearer ${CORPUS.jwt}`,
  '2025-06-01T10:00:02Z Error: connect ECONNREFUSED 10.0.0.5:5432',
];

describe('redaction before anything leaves the machine', () => {
  it.each(['groq', 'gemini'] as const)('%s: the corpus of secrets never reaches the request body (repo context, prompt, logs, keychain values)', async (provider) => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'folder', path: repo } });
    await app.client.assistant.consent({ conversationId: conv.id, provider, granted: true });
    const double = d[provider];
    double.queue.push({ kind: 'stream', tokens: ['ok'] }, { kind: 'stream', tokens: ['explained'] }, { kind: 'stream', tokens: ['```dockerfile\nFROM node:22\n```'] });
    const preview = await app.client.assistant.preview({ conversationId: conv.id, text: PROMPT, provider });
    expect(preview.redactions).toBeGreaterThanOrEqual(10);
    expect(leaks(preview.payload)).toEqual([]);

    expect(done(await ask({ conversationId: conv.id, text: PROMPT, provider })).status).toBe('complete');
    expect(done(await ask({ conversationId: conv.id, task: 'explain', logLines: LOG_LINES, provider })).status).toBe('complete');
    expect(done(await ask({ conversationId: conv.id, task: 'dockerfile', provider })).status).toBe('complete');

    // Positive control: the detector does see the secrets in the raw inputs.
    expect(leaks(`${PROMPT}\n${LOG_LINES.join('\n')}\n${readFileSync(join(repo, 'package.json'), 'utf8')}`)).toHaveLength(10);
    const bodies = double.chats().map((r) => r.body);
    expect(bodies).toHaveLength(3);
    for (const body of bodies) {
      expect(leaks(body)).toEqual([]);
      expect(body).toContain('[REDACTED]');
      // The useful parts are still there: the stack, the file tree, non-secret log lines.
      expect(body).toContain('Express');
      expect(body).toContain('server.js');
    }
    expect(bodies[1]).toContain('ECONNREFUSED 10.0.0.5:5432');
    expect(bodies[1]).toContain('redis://default:[REDACTED]@cache:6379/0');
    // The other provider's API key is a keychain value like any other.
    expect(double.chats()[0]!.headers[provider === 'groq' ? 'authorization' : 'x-goog-api-key']).toContain(provider === 'groq' ? GROQ_KEY : GEMINI_KEY);
  });
});

describe('Generate Dockerfile → diff → apply', () => {
  it('proposes a Dockerfile and .dockerignore against the current one and writes them only on apply', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'folder', path: repo } });
    const current = readFileSync(join(repo, 'Dockerfile'), 'utf8');
    d.ollama.queue.push({ kind: 'stream', tokens: DOCKERFILE_ANSWER, delayMs: 5 });
    const events = await ask({ conversationId: conv.id, task: 'dockerfile' });
    const msg = done(events);
    expect(msg.proposal).toMatchObject({ currentDockerfile: current, currentDockerignore: null, target: join(repo, 'Dockerfile'), appliedAt: null });
    expect(msg.proposal!.dockerfile).toMatch(/^FROM node:22-alpine\n[\s\S]*CMD \["node", "server.js"\]\n$/);
    expect(msg.proposal!.dockerignore).toBe('node_modules\n.env\n.git\n');
    // Context sent: detected stack, manifests, current Dockerfile; .env by name only.
    const sent = d.ollama.chats().at(-1)!.body;
    expect(sent).toContain('Detected: Node.js, Express, npm');
    expect(sent).toContain('FROM node:18');
    expect(sent).toContain('Env files present (contents not sent): .env');
    expect(sent).not.toContain('node_modules/express');
    // Nothing is written before the user clicks Apply.
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe(current);

    const applied = await app.client.assistant.applyDockerfile({ messageId: msg.id });
    expect(applied.written).toEqual([join(repo, 'Dockerfile'), join(repo, '.dockerignore')]);
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe(msg.proposal!.dockerfile);
    expect(readFileSync(join(repo, '.dockerignore'), 'utf8')).toBe('node_modules\n.env\n.git\n');
    expect(applied.message.proposal!.appliedAt).toBeGreaterThan(0);
    const audit = await app.client.activity.list({ action: 'assistant.applyDockerfile' });
    expect(audit[0]).toMatchObject({ result: 'ok' });
    expect(JSON.parse(audit[0]!.input!)).toEqual({ messageId: msg.id });
  });

  it('refuses a Dockerfile task outside an app conversation and records rejections', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'general' } });
    const err = await ask({ conversationId: conv.id, task: 'dockerfile' }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^task: / ) as unknown });
    d.ollama.queue.push({ kind: 'stream', tokens: ['Try `docker system prune`.'] });
    const msg = done(await ask({ conversationId: conv.id, text: 'disk full' }));
    await app.client.assistant.decide({ messageId: msg.id, decision: 'rejected', what: 'command' });
    expect((await app.client.activity.list({ action: 'assistant.decide' }))[0]).toMatchObject({ result: 'ok' });
  });
});
