import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { contract } from '../../src/shared/contract/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileVariants, removeCanaries, VICTIM } from '../helpers/hostile.ts';
import { addServer } from '../helpers/servers.ts';
import { followDeploy, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from './deploy-fixture.ts';

/**
 * The hostile corpus through every field that reaches a server: refused naming the field, or, when a value passes
 * validation, driven to the server (the real job runs git, the health probe, the container's env, the Docker API
 * call) while the canary detector, shown to work first, finds nothing. Deploy jobs run in a builder container whose
 * /tmp is a directory of the server (DATA/ctmp), so a payload that ran there leaves its canary where we look.
 */
const DATA = '/tmp/openpanel';
const CTMP = `${DATA}/ctmp`;
const DIRS = ['/tmp', '/root', CTMP];
const VARIANTS = hostileVariants();

type Drive = 'gitUrl' | 'env' | 'health' | 'docker' | 'buildFile';
interface Field {
  label: string;
  proc: string[];
  input: (v: string) => unknown;
  /** The issue path INPUT_INVALID must name. */
  path: string | RegExp;
  /** How a value that passes validation is driven to the server; a field without one must refuse everything. */
  drive?: Drive;
  /** The string the drive uses (the full URL or path), when it is not the value itself. */
  driven?: (v: string) => string;
}
/** A value that passed validation, with the payload it carries and where it goes. */
interface Survivor {
  payload: string;
  value: string;
  proc: string;
}

function schemaOf(proc: string[]): z.ZodType {
  const node = proc.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], contract) as { '~orpc': { inputSchema: z.ZodType } };
  return node['~orpc'].inputSchema;
}

/** One value per payload: the first that passed (the bare payload comes first in the corpus). */
function onePerPayload(list: Survivor[]): string[] {
  const chosen = new Map<string, string>();
  for (const v of list) if (!chosen.has(v.payload)) chosen.set(v.payload, v.value);
  return [...new Set(chosen.values())];
}

describe('hostile strings in every field that reaches a server (real sshd + dockerd)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let repo: GitRepo;
  let serverId: string;
  let canaryBuilder: string;
  const survivors = new Map<Drive, Survivor[]>([['gitUrl', []], ['env', []], ['health', []], ['docker', []], ['buildFile', []]]);

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'hostile' });
    s = await bed.addServer({ name: 'hf' });
    const images = await loadShipImages(s);
    // The builder with /tmp inside the data dir it mounts, so the detector sees what a job's shell would create.
    await s.exec(['mkdir', '-p', CTMP], { check: true });
    await s.exec(['chmod', '1777', CTMP], { check: true });
    // From the Compose test's builder (git, docker.io, docker-compose), so Compose jobs run here too.
    const composeBuilder = await s.loadImage('debian', { packages: ['git', 'docker.io', 'docker-compose'], tag: 'openpanel-test/builder-compose:latest' });
    await s.exec(['docker', 'run', '--name', 'mk-canary-builder', '--entrypoint', 'sh', composeBuilder, '-c', 'rm -rf /tmp && ln -s /openpanel/ctmp /tmp'], { check: true });
    canaryBuilder = 'openpanel-test/builder-canary:latest';
    await s.exec(['docker', 'commit', 'mk-canary-builder', canaryBuilder], { check: true });
    await s.exec(['docker', 'rm', 'mk-canary-builder'], { check: true });
    repo = new GitRepo();
    repo.commit({ Dockerfile: SAMPLE_DOCKERFILE, 'index.html': 'ok\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'hf' })).id;
    await setupProxy(app.client, serverId, { ...images, 'docker:27-cli': canaryBuilder });
    await s.exec(['docker', 'run', '-d', '--name', VICTIM, BUSYBOX_TAG, 'sleep', '3600'], { check: true });
    await removeCanaries(s, DIRS);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    repo?.close();
    await bed?.teardown();
  });

  const victimAlive = async () => (await s.exec(['docker', 'inspect', '-f', '{{.State.Running}}', VICTIM])).stdout.trim() === 'true';

  it('positive control: the detector fires for a payload run by the server shell and inside a builder', async () => {
    expect(await canaries(s, DIRS)).toEqual([]);
    const conn = await app.services.pool.acquire(serverId);
    await conn.exec(['sh', '-c', `echo $(touch ${CANARY})`]);
    await s.exec(['docker', 'run', '--rm', '-v', `${DATA}:/openpanel`, '--entrypoint', 'sh', canaryBuilder, '-c', `echo $(touch ${CANARY}x)`], { check: true });
    const found = await canaries(s, DIRS);
    await removeCanaries(s, DIRS);
    expect(found).toEqual([CANARY, `${CTMP}/openpanel-canaryx`]);
    expect(await canaries(s, DIRS)).toEqual([]);
    // And the Docker API traversal target is there to be hit.
    expect(await victimAlive()).toBe(true);
  });

  it('refuses each hostile value naming the field, or keeps it for a drive to the server', async () => {
    const base = { name: 'hf', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080 };
    const git = (over: Record<string, unknown>) => ({ ...base, source: { ...base.source, ...over } });
    const fields: Field[] = [
      { label: 'git url', proc: ['apps', 'create'], input: (v) => git({ url: v }), path: 'source.url' },
      { label: 'git url (file:// + value)', proc: ['apps', 'create'], input: (v) => git({ url: `file:///srv/r${v}` }), path: 'source.url', drive: 'gitUrl', driven: (v) => `file:///srv/r${v}` },
      { label: 'git branch', proc: ['apps', 'create'], input: (v) => git({ branch: v }), path: 'source.branch' },
      { label: 'env value', proc: ['apps', 'create'], input: (v) => ({ ...base, env: { OP_X: v } }), path: 'env.OP_X', drive: 'env' },
      { label: 'env name', proc: ['apps', 'create'], input: (v) => ({ ...base, env: { [v]: 'x' } }), path: /^env/ },
      { label: 'dockerfile path', proc: ['apps', 'create'], input: (v) => ({ ...base, dockerfile: v }), path: 'dockerfile', drive: 'buildFile', driven: (v) => `dockerfile\n${v}` },
      { label: 'compose file path', proc: ['apps', 'create'], input: (v) => ({ ...base, compose: { file: v } }), path: 'compose.file', drive: 'buildFile', driven: (v) => `compose\n${v}` },
      { label: 'compose project', proc: ['apps', 'create'], input: (v) => ({ ...base, compose: { project: v } }), path: 'compose.project' },
      { label: 'compose service', proc: ['apps', 'create'], input: (v) => ({ ...base, compose: { service: v } }), path: 'compose.service' },
      { label: 'health path', proc: ['apps', 'create'], input: (v) => ({ ...base, health: { path: v } }), path: 'health.path', drive: 'health' },
      { label: 'health path (/ + value)', proc: ['apps', 'create'], input: (v) => ({ ...base, health: { path: `/${v}` } }), path: 'health.path', drive: 'health', driven: (v) => `/${v}` },
      { label: 'domain', proc: ['apps', 'create'], input: (v) => ({ ...base, domains: [{ host: v }] }), path: 'domains[0].host' },
      { label: 'app name (container name, labels)', proc: ['apps', 'create'], input: (v) => ({ ...base, name: v }), path: 'name' },
      { label: 'database name', proc: ['databases', 'create'], input: (v) => ({ serverId, engine: 'postgres', name: v }), path: 'name' },
      { label: 'S3 bucket', proc: ['backups', 'createTarget'], input: (v) => ({ name: 't', endpoint: 'http://127.0.0.1:9', region: 'r', bucket: v, accessKeyId: 'a', secretAccessKey: 'b' }), path: 'bucket' },
      { label: 'S3 prefix', proc: ['backups', 'createTarget'], input: (v) => ({ name: 't', endpoint: 'http://127.0.0.1:9', region: 'r', bucket: 'bkt', prefix: v, accessKeyId: 'a', secretAccessKey: 'b' }), path: 'prefix' },
      { label: 'cron schedule', proc: ['backups', 'createJob'], input: (v) => ({ serverId, source: { kind: 'volume', volume: 'data' }, targetId: 'tgt', schedule: v }), path: 'schedule' },
      { label: 'backup volume', proc: ['backups', 'createJob'], input: (v) => ({ serverId, source: { kind: 'volume', volume: v }, targetId: 'tgt', schedule: '0 3 * * *' }), path: 'source.volume' },
      { label: 'volume name', proc: ['containers', 'removeVolume'], input: (v) => ({ serverId, name: v }), path: 'name', drive: 'docker' },
      { label: 'network id', proc: ['containers', 'removeNetwork'], input: (v) => ({ serverId, id: v }), path: 'id', drive: 'docker' },
      { label: 'image id', proc: ['containers', 'removeImage'], input: (v) => ({ serverId, id: v }), path: 'id', drive: 'docker' },
      { label: 'container id', proc: ['containers', 'action'], input: (v) => ({ serverId, id: v, action: 'remove', force: true }), path: 'id' },
      { label: 'container name', proc: ['containers', 'rename'], input: (v) => ({ serverId, id: VICTIM, name: v }), path: 'name' },
    ];
    const undriven: string[] = [];
    let refused = 0;
    for (const f of fields) {
      const schema = schemaOf(f.proc);
      const call = f.proc.reduce<unknown>((c, k) => (c as Record<string, unknown>)[k], app.client) as (input: unknown) => Promise<unknown>;
      for (const { payload, value } of VARIANTS) {
        const input = f.input(value);
        if (schema.safeParse(input).success) {
          if (f.drive) survivors.get(f.drive)!.push({ payload, value: f.driven ? f.driven(value) : value, proc: f.proc[1]! });
          else undriven.push(`${f.label}=${JSON.stringify(value)}`);
          continue;
        }
        const err = (await call(input).then(
          () => ({ code: 'ACCEPTED', data: null }),
          (e: unknown) => e,
        )) as { code: string; data: { issues: { path: string }[] } | null };
        expect(err.code, `${f.label}=${JSON.stringify(value)}`).toBe('INPUT_INVALID');
        const paths = err.data!.issues.map((i) => i.path);
        expect(paths.some((p) => (typeof f.path === 'string' ? p === f.path : f.path.test(p))), `${f.label}: ${paths.join(', ')}`).toBe(true);
        refused++;
      }
    }
    expect(undriven).toEqual([]);
    expect(refused).toBeGreaterThan(fields.length * 150);
    // What passes today (see the drives below): payloads without line breaks in env values, no-space ones in URLs and paths.
    expect(survivors.get('env')!.length).toBeGreaterThan(150);
    expect(survivors.get('gitUrl')!.length).toBeGreaterThan(10);
    expect(survivors.get('health')!.length).toBeGreaterThan(10);
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('Docker API calls with accepted names reach no other object (no path traversal) and run nothing', async () => {
    for (const { proc, value } of survivors.get('docker')!) {
      const input = proc === 'removeVolume' ? { serverId, name: value } : { serverId, id: value };
      const r = await (app.client.containers[proc as 'removeVolume'] as (i: unknown) => Promise<unknown>)(input).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
      expect(r, `${proc}(${JSON.stringify(value)})`).not.toBe('INTERNAL');
    }
    expect(await victimAlive()).toBe(true);
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('env values that pass land verbatim in the container (through the job) and run nothing', async () => {
    const values = survivors.get('env')!.map((v) => v.value);
    for (let i = 0; i < values.length; i += 90) {
      const chunk = values.slice(i, i + 90);
      const env = Object.fromEntries(chunk.map((v, j) => [`OP_H${i + j}`, v]));
      const created = await app.client.apps.create({ name: `env${i}`, serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, env });
      const started = await app.client.apps.deploy({ id: created.id });
      const { deploy, log } = await followDeploy(app.client, started.id, 180_000);
      expect(deploy.status, log).toBe('succeeded');
      const inspect = await s.exec(['docker', 'inspect', '-f', '{{json .Config.Env}}', deploy.container!], { check: true });
      const got = new Map((JSON.parse(inspect.stdout) as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      for (const [k, v] of Object.entries(env)) expect(got.get(k), k).toBe(v);
    }
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('git URLs that pass reach git in the job as one argument (one per payload) and run nothing', async () => {
    const urls = onePerPayload(survivors.get('gitUrl')!);
    expect(urls.length).toBeGreaterThanOrEqual(5);
    const created = await app.client.apps.create({ name: 'giturl', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080 });
    for (const v of urls) {
      await app.client.apps.update({ id: created.id, source: { kind: 'git', url: v, branch: 'main' } });
      const started = await app.client.apps.deploy({ id: created.id });
      const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
      expect([deploy.status, deploy.step], log).toEqual(['failed', 'fetch']);
      // git itself names the path it could not open: the value arrived whole, nothing expanded.
      // git decodes %xx in file:// URLs, so those are checked by the outcome alone.
      if (!v.includes('%')) expect(log, v).toContain(v.slice('file://'.length));
      expect(deploy.error).toContain('git clone');
    }
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('Dockerfile and Compose file paths that pass reach the build in the job and run nothing', async () => {
    const list = survivors.get('buildFile')!;
    expect(list.length).toBeGreaterThan(0);
    const created = await app.client.apps.create({ name: 'buildfile', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080 });
    for (const { value } of list) {
      const [kind, path] = value.split('\n') as [string, string];
      await app.client.apps.update({ id: created.id, ...(kind === 'dockerfile' ? { dockerfile: path, compose: null } : { compose: { file: path, project: null, service: 'web' } }) });
      const started = await app.client.apps.deploy({ id: created.id });
      const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
      // No such file in the repository: the job looked for this path in the source (docker names its first missing
      // component, the Compose job the whole path) and stopped.
      expect([deploy.status, deploy.step], log).toEqual(['failed', 'build']);
      expect(log, value).toContain(kind === 'dockerfile' ? `/src/${path.split('/')[0]}` : path);
    }
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('health paths that pass reach the probe in the job (one per payload) and run nothing', async () => {
    const paths = onePerPayload(survivors.get('health')!);
    expect(paths.length).toBeGreaterThanOrEqual(5);
    const created = await app.client.apps.create({ name: 'health', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080 });
    for (const p of paths) {
      await app.client.apps.update({ id: created.id, health: { path: p, timeoutSeconds: 1 } });
      const started = await app.client.apps.deploy({ id: created.id });
      const { deploy, log } = await followDeploy(app.client, started.id, 120_000);
      // busybox httpd answers 404 to these paths: the probe really ran with them, and the deploy stops there.
      expect([deploy.status, deploy.step], log).toEqual(['failed', 'health']);
      expect(log).toContain(`answers on port 8080${p} (up to 1 s)`);
    }
    expect(await canaries(s, DIRS)).toEqual([]);
  });
});
