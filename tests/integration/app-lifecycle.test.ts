import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/app.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';

// Uses the built app (npx electron-vite build first): a child process builds the app, connects a server with the
// fleet monitor sampling it, then closes the app and must exit by itself (no timer, socket or subscription left).
const CHILD = `
import { createApp } from ${JSON.stringify(pathToFileURL(resolve('out/main/headless.js')).href)};
const [dataDir, host, port, username, fingerprint, close] = process.argv.slice(2);
const app = await createApp({ dataDir, mode: 'web', version: 'test', monitor: true });
const server = await app.servers.create({ name: 'lc', host, port: Number(port), username, auth: { method: 'key', privateKey: process.env.OP_TEST_KEY }, jumpServerId: null });
app.servers.trustHostKey(server.id, 'ssh-ed25519', fingerprint, false);
const snapshot = await app.monitor.sample(server.id);
const docker = await app.docker.api(server.id).then((api) => api.version()).then((v) => v.Version);
console.log(JSON.stringify({ pool: app.pool.state(server.id).state, sampled: snapshot.host !== null, docker }));
if (close === 'close') {
  await app.close();
  console.log('closed');
}
`;

interface Run {
  lines: string[];
  exited: Promise<number | null>;
  kill(): void;
}

function runChild(dir: string, s: TestServer, close: boolean): Run {
  const file = join(dir, 'child.mjs');
  writeFileSync(file, CHILD);
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const child = spawn(process.execPath, [file, dataDir, s.host, String(s.port), s.users.root.username, s.hostKeyFingerprint, close ? 'close' : 'keep'], {
    env: { ...process.env, OP_TEST_KEY: s.users.root.privateKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => lines.push(...c.split('\n').filter(Boolean)));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  void exited.then((code) => {
    if (code !== 0 && code !== null) lines.push(`stderr: ${stderr}`);
  });
  return { lines, exited, kill: () => child.kill('SIGKILL') };
}

/** Resolves with the exit code, or 'running' if the process is still alive after `ms`. */
const exitWithin = (run: Run, ms: number) => Promise.race([run.exited, new Promise<'running'>((res) => setTimeout(() => res('running'), ms))]);

describe('app lifecycle: close() stops everything it started', () => {
  let bed: Testbed;
  let s: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'openpanel-lifecycle-'));

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'lifecyc' });
    [s] = (await bed.addServers([{ name: 'one' }])) as [TestServer];
  }, 300_000);
  afterAll(async () => {
    await bed?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an app left open is kept alive by its connection and monitor (the detector works)', async () => {
    const run = runChild(dir, s, false);
    try {
      await waitFor(() => run.lines.length >= 1, 'the app connected and sampled', 90_000);
      expect(JSON.parse(run.lines[0]!)).toMatchObject({ pool: 'ready', sampled: true, docker: expect.any(String) });
      expect(await exitWithin(run, 10_000)).toBe('running');
    } finally {
      run.kill();
      await run.exited;
    }
  }, 120_000);

  it('a closed app exits by itself within seconds, after a live connection and monitor', async () => {
    const run = runChild(dir, s, true);
    try {
      await waitFor(() => run.lines.length >= 2, 'the app connected, sampled and closed', 90_000);
      expect(JSON.parse(run.lines[0]!)).toMatchObject({ pool: 'ready', sampled: true, docker: expect.any(String) });
      expect(run.lines[1]).toBe('closed');
      expect(await exitWithin(run, 10_000), run.lines.join('\n')).toBe(0);
    } finally {
      run.kill();
      await run.exited;
    }
  }, 120_000);
});
