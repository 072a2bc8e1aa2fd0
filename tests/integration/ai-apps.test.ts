import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AskEvent, AskRequest } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { startDoubles, useDoubles, type Doubles } from '../helpers/ai-servers/index.ts';
import { addServer } from '../helpers/servers.ts';
import { DRIVER, followDeploy, getByHost, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

// The assistant against a real test server: a Dockerfile generated from the app's repository (fetched on the
// server), shown as a diff, applied to the app's build config and deployed through the proxy; failures explained
// from a real failed deploy and a real exited container (asserted on what the Ollama protocol double received);
// a proposed command declined, refused and run, each in the audit log.

const GENERATED_DOCKERFILE = [
  'FROM busybox:latest',
  'COPY . /www/',
  'RUN echo "built from the assistant Dockerfile" > /www/generated.txt',
  'CMD ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]',
  '',
].join('\n');
const GENERATED_DOCKERIGNORE = 'notes.txt\n.git\n';
const DOCKERFILE_ANSWER = [
  'Here is a Dockerfile for this static site:\n\n',
  '```dockerfile\n',
  GENERATED_DOCKERFILE,
  '```\n\n',
  '```dockerignore\n',
  GENERATED_DOCKERIGNORE,
  '```\n',
  'It serves the files with busybox httpd on port 8080.',
];

/** Secrets that appear in real failure output on the server and must not reach the model. */
const KEYCHAIN_SECRET = 'kc-db-Secret-77aa';
const URL_PASSWORD = 'url-pw-8731';
const REDIS_PASSWORD = 'redis-pw-5150x';

const BROKEN_DOCKERFILE = [
  'FROM busybox:latest',
  `RUN echo "connecting to postgres://shop:${URL_PASSWORD}@db.internal:5432/shop" && echo "auth with ${KEYCHAIN_SECRET} rejected" && echo "fatal: could not reach the database at build time" && exit 3`,
  '',
].join('\n');

describe(`assistant on a real test server (${DRIVER} proxy, Ollama protocol double)`, () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let d: Doubles;
  let serverId: string;
  let appId: string;
  let commit: string;

  const ask = async (input: AskRequest): Promise<AskEvent[]> => {
    const events: AskEvent[] = [];
    for await (const ev of await app.client.assistant.ask(input)) events.push(ev);
    return events;
  };
  const done = (events: AskEvent[]) => events.find((e) => e.type === 'done')!.message;
  const audit = (action: string) => app.services.audit.list({ limit: 200, action });

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'aiapp' });
    s = await bed.addServer({ name: 'aiship' });
    const images = await loadShipImages(s);
    repo = new GitRepo();
    commit = repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'from git\n', 'notes.txt': 'internal notes\n' }, 'site');
    // A branch whose Dockerfile fails in a RUN step that prints secrets.
    repo.git(['checkout', '-q', '-b', 'broken']);
    writeFileSync(join(repo.work, 'Dockerfile'), BROKEN_DOCKERFILE);
    repo.git(['commit', '-q', '-am', 'broken build']);
    repo.git(['push', '-q', 'origin', 'broken']);
    repo.git(['checkout', '-q', 'main']);
    await repo.serve(bed);
    d = await startDoubles();
    app = await startTestApp();
    await useDoubles(app.client, d);
    await app.client.assistant.updateSettings({ fallbackOrder: ['ollama'], timeoutMs: 20_000 });
    serverId = (await addServer(app.client, s, { name: 'aiship' })).id;
    await setupProxy(app.client, serverId, images);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await d?.close();
    repo?.close();
    await bed?.teardown();
  });
  beforeEach(() => d?.reset());

  it('generates a Dockerfile from the repository fetched on the server, applies it to the app only on request, and deploys with it', async () => {
    appId = (await app.client.apps.create({ name: 'site', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'site.test', tls: false }] })).id;
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'app', appId } });
    expect(conv.title).toBe('App site');

    d.ollama.queue.push({ kind: 'stream', tokens: DOCKERFILE_ANSWER, delayMs: 5 });
    const events = await ask({ conversationId: conv.id, task: 'dockerfile' });
    const answer = done(events);
    expect(answer.status, answer.error ?? '').toBe('complete');
    // The model saw the repository as cloned on the server: files, commit and the current Dockerfile.
    const sent = JSON.parse(d.ollama.chats().at(-1)!.body) as { messages: { role: string; content: string }[] };
    const system = sent.messages[0]!.content;
    expect(system).toContain(`commit ${commit.slice(0, 12)}`);
    expect(system).toContain('fetched on server "aiship"');
    expect(system).toMatch(/Files:\n(.*\n)*index\.html/);
    expect(system).toContain('notes.txt');
    expect(system).toContain(SAMPLE_DOCKERFILE.trim());
    // The clone lived in a throwaway container: nothing of ours is left running on the server.
    const leftovers = await s.exec(['docker', 'ps', '-aq', '--filter', 'label=openpanel.assistant'], { check: true });
    expect(leftovers.stdout.trim()).toBe('');

    // The proposal is a diff against the Dockerfile the next deploy would use; nothing is applied yet.
    expect(answer.proposal).toMatchObject({ dockerfile: GENERATED_DOCKERFILE, dockerignore: GENERATED_DOCKERIGNORE, currentDockerfile: SAMPLE_DOCKERFILE, currentDockerignore: null, appliedAt: null });
    expect(answer.proposal!.target).toContain('app site');
    expect((await app.client.apps.get({ id: appId })).dockerfileOverride).toBeNull();

    const applied = await app.client.assistant.applyDockerfile({ messageId: answer.id });
    expect(applied.appId).toBe(appId);
    expect(applied.written).toEqual(['app site: Dockerfile (override)', 'app site: .dockerignore (override)']);
    expect(applied.message.proposal!.appliedAt).toBeGreaterThan(0);
    const withOverride = await app.client.apps.get({ id: appId });
    expect(withOverride.dockerfileOverride).toMatchObject({ dockerfile: GENERATED_DOCKERFILE, dockerignore: GENERATED_DOCKERIGNORE, origin: 'assistant' });
    // Git is not touched: the override lives with the app.
    expect(repo.git(['--git-dir', repo.bare, 'rev-parse', 'main']).trim()).toBe(commit);
    expect(audit('assistant.applyDockerfile').some((r) => r.result === 'ok' && r.input?.includes(answer.id))).toBe(true);

    // "Deploy now": the build uses the override and its .dockerignore.
    const started = await app.client.apps.deploy({ id: appId });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status, log).toBe('succeeded');
    expect(log).toContain("using the app's Dockerfile override as Dockerfile");
    expect(await getByHost(s.host, 'site.test', '/generated.txt')).toEqual({ status: 200, body: 'built from the assistant Dockerfile\n' });
    expect(await getByHost(s.host, 'site.test', '/index.html')).toEqual({ status: 200, body: 'from git\n' });
    expect((await getByHost(s.host, 'site.test', '/notes.txt')).status).toBe(404);

    // A second Generate shows the override as the current Dockerfile.
    d.ollama.queue.push({ kind: 'stream', tokens: DOCKERFILE_ANSWER });
    const again = done(await ask({ conversationId: conv.id, task: 'dockerfile' }));
    expect(again.proposal).toMatchObject({ currentDockerfile: GENERATED_DOCKERFILE, currentDockerignore: GENERATED_DOCKERIGNORE });
  }, 400_000);

  it('explains a failed deploy from its real log lines, redacted', async () => {
    const broken = await app.client.apps.create({ name: 'broken', serverId, source: { kind: 'git', url: repo.url, branch: 'broken' }, port: 8080, env: { DB_PASSWORD: KEYCHAIN_SECRET } });
    const started = await app.client.apps.deploy({ id: broken.id });
    const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
    expect(deploy.status).toBe('failed');
    expect(log).toContain('fatal: could not reach the database at build time');

    const conv = await app.client.assistant.createConversation({ scope: { kind: 'app', appId: broken.id } });
    const reply = ['The build fails in the RUN step: it needs the database, which is not reachable while building.\n\n', 'Move the migration to start-up.\n\n', '```sh\ndocker ps -a\n```\n'];
    d.ollama.queue.push({ kind: 'stream', tokens: reply });
    const answer = done(await ask({ conversationId: conv.id, task: 'explain', deployId: deploy.id }));
    expect(answer.status, answer.error ?? '').toBe('complete');
    expect(answer.content).toBe(reply.join(''));

    const body = d.ollama.chats().at(-1)!.body;
    expect(body).toContain('fatal: could not reach the database at build time');
    expect(body).toContain('docker build failed');
    expect(body).toContain(`Deploy ${deploy.id}: failed at step build`);
    expect(body).toContain('postgres://shop:[REDACTED]@db.internal');
    for (const secret of [KEYCHAIN_SECRET, URL_PASSWORD]) expect(body).not.toContain(secret);

    // A deploy of another app is refused in this conversation.
    const other = (await app.client.apps.deploys({ id: appId, limit: 1 }))[0]!;
    const e = await rpcError(app.client.assistant.preview({ conversationId: conv.id, task: 'explain', deployId: other.id }));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toContain('deployId');
  }, 400_000);

  it('explains an exited container from its state and last log lines, redacted', async () => {
    await s.exec(['docker', 'run', '--name', 'crashy', BUSYBOX_TAG, 'sh', '-c', `echo "worker: connecting to redis://:${REDIS_PASSWORD}@cache:6379"; echo "panic: worker crashed: queue unreachable" >&2; exit 2`], { timeoutMs: 60_000 });
    await waitFor(async () => (await s.exec(['docker', 'inspect', '-f', '{{.State.Status}}', 'crashy'])).stdout.trim() === 'exited', 'crashy to exit', 20_000);
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'server', serverId } });
    d.ollama.queue.push({ kind: 'stream', tokens: ['The worker cannot reach its queue (redis at cache:6379).'] });
    const answer = done(await ask({ conversationId: conv.id, task: 'explain', containerId: 'crashy' }));
    expect(answer.status, answer.error ?? '').toBe('complete');
    expect(answer.content).toBe('The worker cannot reach its queue (redis at cache:6379).');
    const body = d.ollama.chats().at(-1)!.body;
    expect(body).toContain('panic: worker crashed: queue unreachable');
    expect(body).toContain('State: exited, exit code 2');
    expect(body).toContain('redis://:[REDACTED]@cache:6379');
    expect(body).not.toContain(REDIS_PASSWORD);
  }, 120_000);

  it('runs a proposed command only after the confirmation naming the server; declines and refusals are audited and run nothing', async () => {
    const conv = await app.client.assistant.createConversation({ scope: { kind: 'server', serverId } });
    d.ollama.queue.push({ kind: 'stream', tokens: ['Check with:\n\n```sh\ntouch /tmp/assistant-ran\n```\n'] });
    const answer = done(await ask({ conversationId: conv.id, text: 'How do I check the disk?' }));
    const argv = ['touch', '/tmp/assistant-ran'];

    // Declined in the dialog: recorded with the server and argv; nothing ran.
    await app.client.assistant.decide({ messageId: answer.id, decision: 'declined', what: 'command', serverId, argv });
    const declined = audit('assistant.decide').find((r) => r.input?.includes('"declined"'));
    expect(declined).toBeDefined();
    expect(JSON.parse(declined!.input!)).toMatchObject({ messageId: answer.id, decision: 'declined', what: 'command', serverId, argv });
    expect(await s.fileExists('/tmp/assistant-ran')).toBe(false);

    // The wrong server name is refused (and audited as an error); nothing ran.
    const e = await rpcError(app.client.assistant.runCommand({ serverId, argv, confirmServerName: 'some-other-server', conversationId: conv.id }));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toContain('confirmServerName');
    expect(audit('assistant.runCommand').some((r) => r.result === 'error' && r.errorCode === 'INPUT_INVALID')).toBe(true);
    expect(await s.fileExists('/tmp/assistant-ran')).toBe(false);

    // Confirmed: runs as argv through the SSH pool on that server; output and exit code come back and are audited.
    const ran = await app.client.assistant.runCommand({ serverId, argv, confirmServerName: 'aiship', conversationId: conv.id });
    expect(ran.code).toBe(0);
    expect(await s.fileExists('/tmp/assistant-ran')).toBe(true);
    const echo = await app.client.assistant.runCommand({ serverId, argv: ['sh', '-c', 'echo "$0 on $(hostname)"; exit 4', 'hello; rm -rf /'], confirmServerName: 'aiship' });
    expect(echo.code).toBe(4);
    expect(echo.stdout).toMatch(/^hello; rm -rf \/ on /);
    const commands = audit('assistant.command').map((r) => ({ ...r, input: JSON.parse(r.input!) as Record<string, unknown> }));
    expect(commands.find((r) => r.result === 'ok')?.input).toMatchObject({ server: 'aiship', argv, conversationId: conv.id, exitCode: 0 });
    expect(commands.find((r) => r.result === 'error')?.input).toMatchObject({ server: 'aiship', exitCode: 4 });
  }, 120_000);
});
