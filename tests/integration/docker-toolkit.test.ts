import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerError, dockerReason, dockerStatus, isDockerNotModified } from '../../src/main/services/docker/errors.ts';
import { ensureImage } from '../../src/main/services/docker/images.ts';
import { LABELS, MANAGED } from '../../src/main/services/docker/labels.ts';
import { ensureNetwork } from '../../src/main/services/docker/networks.ts';
import { runOnce } from '../../src/main/services/docker/run-once.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

// The Docker toolkit against a real engine on a test server, through the app's SSH tunnel: the errors are the ones
// dockerode really throws there, and every effect is checked on the server with the docker CLI.
describe('Docker toolkit on a real engine (errors by status, ensureImage, ensureNetwork, runOnce)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let api: Docker;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'dkit' });
    s = await bed.addServer({ name: 'kit', images: ['busybox'] });
    app = await startTestApp();
    const serverId = (await addServer(app.client, s, { name: 'kit' })).id;
    api = await app.services.docker.api(serverId);
    await s.exec(['docker', 'run', '-d', '--name', 'taken', '-v', 'busy:/data', BUSYBOX_TAG, 'sleep', '600'], { check: true });
    await s.exec(['docker', 'create', '--name', 'idle', BUSYBOX_TAG, 'true'], { check: true });
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  async function failure(p: Promise<unknown>): Promise<unknown> {
    try {
      await p;
    } catch (e) {
      return e;
    }
    throw new Error('expected the call to fail');
  }
  const containersNamed = async (prefix: string) => (await s.exec(['docker', 'ps', '-aq', '--filter', `name=${prefix}`], { check: true })).stdout.trim();

  it('maps what the engine answers by status: 404, 409 (name in use, volume in use, not running), 304, streamed 404', async () => {
    const missing = await failure(api.getContainer('nope').inspect());
    expect(dockerStatus(missing)).toBe(404);
    expect(dockerError(missing, 'inspect nope')).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^inspect nope: No such container: nope$/) });

    const nameTaken = await failure(api.createContainer({ name: 'taken', Image: BUSYBOX_TAG }));
    expect(dockerStatus(nameTaken)).toBe(409);
    expect(dockerError(nameTaken, 'create taken')).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^create taken: .*already in use/) });

    const volumeInUse = await failure(api.getVolume('busy').remove());
    expect(dockerError(volumeInUse, 'remove volume busy')).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/in use/) });

    const notRunning = await failure(api.getContainer('idle').exec({ Cmd: ['true'] }));
    expect(dockerError(notRunning, 'exec')).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/is not running/) });

    const alreadyStarted = await failure(api.getContainer('taken').start());
    expect(isDockerNotModified(alreadyStarted)).toBe(true);

    // A streamed request carries no parsed body: the status and the reason still come through.
    const streamed = await failure(api.getContainer('nope').logs({ follow: true, stdout: true }));
    expect((streamed as { json?: unknown }).json ?? null).toBeNull();
    expect(dockerStatus(streamed)).toBe(404);
    expect(dockerReason(streamed)).toMatch(/^No such container: nope$/);
  });

  it('ensureImage uses a local image as it is, pulls only on 404, and reports any other failure without pulling', async () => {
    await ensureImage(api, BUSYBOX_TAG, { mapping: 'the test mapping' });

    // The test server has no route out: the pull is attempted and fails, and the error says where to map the image.
    const absent = await failure(ensureImage(api, 'openpanel-test/absent:1', { mapping: 'the test mapping' }));
    expect(absent).toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: expect.stringMatching(/^image openpanel-test\/absent:1 is not on the server and could not be pulled \(.+\); map it .* in the test mapping$/) });

    // An inspect the engine refuses for another reason than 404 is not "missing": no pull.
    const invalid = await failure(ensureImage(api, 'UPPER/Case:x', { mapping: 'the test mapping' }));
    expect((invalid as Error).message).toMatch(/^image UPPER\/Case:x: /);
    expect((invalid as Error).message).not.toMatch(/pulled/);
  });

  it('ensureNetwork creates the network with its labels once, and callers racing to create it all succeed', async () => {
    await ensureNetwork(api, 'kit-net', { [LABELS.role]: 'test' });
    const first = (await s.exec(['docker', 'network', 'inspect', '-f', '{{.Id}} {{index .Labels "openpanel.role"}}', 'kit-net'], { check: true })).stdout.trim();
    expect(first).toMatch(/^[0-9a-f]{64} test$/);
    await ensureNetwork(api, 'kit-net', { [LABELS.role]: 'other' });
    expect((await s.exec(['docker', 'network', 'inspect', '-f', '{{.Id}} {{index .Labels "openpanel.role"}}', 'kit-net'], { check: true })).stdout.trim()).toBe(first);

    await Promise.all([1, 2, 3, 4].map(() => ensureNetwork(api, 'kit-race', { [LABELS.role]: 'race' })));
    const named = (await s.exec(['docker', 'network', 'ls', '-q', '--filter', 'name=^kit-race$'], { check: true })).stdout.trim().split('\n').filter(Boolean);
    expect(named).toHaveLength(1);
  });

  it('runOnce returns stdout and stderr apart and together, and removes the container', async () => {
    const r = await runOnce(api, { name: 'kit-once-ok', Image: BUSYBOX_TAG, Cmd: ['sh', '-c', 'echo out1; echo err1 >&2; echo out2'], Labels: { ...MANAGED } }, { what: 'the ok run', timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('out1\nout2\n');
    expect(r.stderr.toString()).toBe('err1\n');
    expect(r.output.split('\n').sort()).toEqual(['', 'err1', 'out1', 'out2']);
    expect(await containersNamed('kit-once-ok')).toBe('');
  });

  it('runOnce fails a non-zero exit with the tail of the output (or the caller detail), and removes the container', async () => {
    // Docker keeps the order within a stream, not across stdout and stderr: the tail is checked on one stream.
    const failed = await failure(runOnce(api, { name: 'kit-once-bad', Image: BUSYBOX_TAG, Cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; exit 7'] }, { what: 'the bad run', timeoutMs: 30_000, tailLines: 2 }));
    expect(failed).toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: 'the bad run failed (exit 7): line4\nline5' });
    const script = 'for i in 1 2 3 4 5; do echo line$i; done; echo bad >&2; exit 7';
    const detailed = await failure(runOnce(api, { name: 'kit-once-bad2', Image: BUSYBOX_TAG, Cmd: ['sh', '-c', script] }, { what: 'the bad run', timeoutMs: 30_000, detail: (res) => res.stderr.toString().trim() }));
    expect((detailed as Error).message).toBe('the bad run failed (exit 7): bad');
    expect(await containersNamed('kit-once-bad')).toBe('');
  });

  it('runOnce stops at its timeout (TIMEOUT) and on abort (AbortError, container killed), removing the container either way', async () => {
    const slow = { Image: BUSYBOX_TAG, Cmd: ['sleep', '60'] };
    let t0 = Date.now();
    const timedOut = await failure(runOnce(api, { ...slow, name: 'kit-once-slow' }, { what: 'the slow run', timeoutMs: 1500 }));
    expect(timedOut).toMatchObject({ code: 'TIMEOUT', message: 'the slow run: not finished within 2 s' });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await containersNamed('kit-once-slow')).toBe('');

    const ac = new AbortController();
    t0 = Date.now();
    const run = runOnce(api, { ...slow, name: 'kit-once-abort' }, { what: 'the aborted run', timeoutMs: 60_000, signal: ac.signal });
    // Abort once the container really runs, so the kill is what ends it.
    const running = async () => (await s.exec(['docker', 'ps', '-q', '--filter', 'name=kit-once-abort'], { check: true })).stdout.trim();
    for (let i = 0; i < 100 && !(await running()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await running()).not.toBe('');
    ac.abort();
    const aborted = await failure(run);
    expect(aborted).toMatchObject({ name: 'AbortError', message: 'the aborted run was cancelled' });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await containersNamed('kit-once-abort')).toBe('');
  });
});
