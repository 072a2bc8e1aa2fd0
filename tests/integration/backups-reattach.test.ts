import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupJob, BackupTarget, RunProgress } from '../../src/shared/contract/index.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { DATA_PACKAGES, startS3, startS3Gate, TOOLS_STANDIN, type S3Gate, type TestS3 } from '../helpers/s3.ts';

// Backup runs on the job model: a run lives in the scheduler on the server (runs/<job>/state.json + log) whether
// the app watches or not; "back up now" after an app restart attaches to the run in progress instead of failing.
describe('backup runs survive an app restart and are re-attached; the older status layout is still read (real dockerd, s3rver)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let gate: S3Gate;
  let app: TestApp;
  let dataDir: string;
  let serverId: string;
  let target: BackupTarget;
  let job: BackupJob;

  const inScheduler = async (argv: string[], input?: string) => (await s.exec(['docker', 'exec', '-i', 'openpanel-backup-scheduler', ...argv], { check: true, ...(input ? { input } : {}) })).stdout;
  const runState = async (jobId: string) => JSON.parse(await inScheduler(['cat', `/openpanel/runs/${jobId}/state.json`])) as { status: string; step: string; run: string; key: string };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'bkreatt' });
    s = await bed.addServer({ name: 'data' });
    const base = await s.loadImage('debian', { packages: DATA_PACKAGES });
    await s.exec(['docker', 'tag', base, TOOLS_STANDIN], { check: true });
    // Random bytes do not compress: the upload is several multipart chunks, so it is under way for a while.
    await s.exec(['docker', 'volume', 'create', 'bulk'], { check: true });
    await s.exec(['docker', 'run', '--rm', '--network', 'none', '-v', 'bulk:/v', TOOLS_STANDIN, 'sh', '-c', 'head -c 24000000 /dev/urandom > /v/blob'], { check: true, timeoutMs: 120_000 });
    s3 = await startS3(bed);
    gate = await startS3Gate(bed, s3);
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-reattach-'));
    app = await startTestApp({ dataDir });
    serverId = (await addServer(app.client, s, { name: 'data' })).id;
    await app.client.databases.setImages({ serverId, images: { 'openpanel/backup-tools:1': TOOLS_STANDIN } });
    target = await app.client.backups.createTarget({ name: 'gated', endpoint: gate.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'ra', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    job = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'bulk' }, targetId: target.id, schedule: '0 0 1 1 *' });
  }, 400_000);
  afterAll(async () => {
    await app?.close();
    await gate?.close();
    await s3?.close();
    await bed?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a run in progress when the app restarts goes on on the server; "back up now" afterwards attaches to it: one run, its result', async () => {
    gate.holdUploads = true;
    const watching = new AbortController();
    const seen: RunProgress[] = [];
    const first = (async () => {
      for await (const p of await app.client.backups.runNow({ jobId: job.id }, { signal: watching.signal })) seen.push(p);
    })().catch((e: unknown) => e);
    // The run is really under way on the server: dumping, its upload stalled at the gate.
    let lastSeen: unknown = null;
    const during = await waitFor(
      async () => {
        const st = await runState(job.id).catch((e: unknown) => e);
        lastSeen = st;
        return (st as { status?: string }).status === 'running' && (st as { step: string }).step === 'dumping' && gate.held > 0 ? (st as Awaited<ReturnType<typeof runState>>) : null;
      },
      'the run dumping with its upload held',
      60_000,
      250,
    ).catch(async (e: unknown) => {
      const onServer = await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'sh', '-c', 'ls -laR /openpanel/runs /openpanel/locks; cat /openpanel/status/*.log; ps -ef']);
      const ended = await Promise.race([first, new Promise((r) => setTimeout(() => r('still watching'), 200))]);
      throw new Error(`${String(e)}; last state: ${String(lastSeen)}; held ${gate.held}; events ${JSON.stringify(seen)}; stream ${String(ended)}; server: ${onServer.stdout} ${onServer.stderr}`);
    });
    expect(seen[0]).toMatchObject({ phase: 'starting', step: 'starting' });
    expect(during.run).toMatch(/^run-\d+-[0-9a-f]{8}$/);
    watching.abort();
    await first;
    await app.close();
    app = await startTestApp({ dataDir });
    // The app was gone and came back while the run went on: same run, still running.
    expect(await runState(job.id)).toMatchObject({ status: 'running', run: during.run });

    const events: RunProgress[] = [];
    const second = (async () => {
      for await (const p of await app.client.backups.runNow({ jobId: job.id })) events.push(p);
    })();
    await waitFor(() => events.length > 0, 'the first event of the second "back up now"', 30_000, 50);
    gate.holdUploads = false;
    gate.release();
    await second;
    const last = events.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', step: 'done', progress: 100, error: null });
    expect(last.key).toMatch(new RegExp(`^ra/${job.id}/\\d{8}T\\d{6}Z\\.tar\\.zst\\.age$`));
    // Attached, not started again: the run that finished is the one from before the restart, and it is the only run.
    expect(await runState(job.id)).toMatchObject({ status: 'succeeded', run: during.run, key: last.key });
    const history = (await inScheduler(['cat', `/openpanel/status/${job.id}.history`])).trim().split('\n');
    expect(history).toHaveLength(1);
    expect(JSON.parse(history[0]!)).toMatchObject({ job: job.id, state: 'ok', key: last.key });
    expect((await app.client.backups.status({ serverId }))[0]).toMatchObject({ jobId: job.id, state: 'ok', key: last.key });
    const listed = await app.client.backups.list({ jobId: job.id });
    expect(listed.map((o) => o.key)).toEqual([last.key]);
    expect(listed[0]!.manifest).toMatchObject({ kind: 'volume', key: last.key });
  }, 240_000);

  it('a job whose last run was recorded in the older layout (status/<job>.json, no run dir) shows that run', async () => {
    await s.exec(['docker', 'volume', 'create', 'small'], { check: true });
    const old = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'small' }, targetId: target.id, schedule: '0 0 1 1 *' });
    expect((await app.client.backups.status({ serverId })).find((x) => x.jobId === old.id)).toMatchObject({ state: 'never' });
    // As backup.sh wrote it before the job layout (one JSON line), for a failed run while the app was closed.
    const line = JSON.stringify({ job: old.id, state: 'failed', startedAt: 1764770000000, finishedAt: 1764770004000, key: '', size: 0, error: 'pipeline exit 1: connection refused' });
    await inScheduler(['sh', '-c', 'cat > "$0" && cp "$0" "$1"', `/openpanel/status/${old.id}.json`, `/openpanel/status/${old.id}.history`], `${line}\n`);
    expect(await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'test', '-e', `/openpanel/runs/${old.id}`])).toMatchObject({ code: 1 });
    expect((await app.client.backups.status({ serverId })).find((x) => x.jobId === old.id)).toEqual({
      jobId: old.id,
      state: 'failed',
      startedAt: 1764770000000,
      finishedAt: 1764770004000,
      key: null,
      size: 0,
      error: 'pipeline exit 1: connection refused',
    });
    expect(await app.client.backups.failures()).toEqual([expect.objectContaining({ jobId: old.id, state: 'failed', error: 'pipeline exit 1: connection refused' })]);
  }, 120_000);
});
