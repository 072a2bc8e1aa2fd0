/**
 * Log-stream throughput, same data, same server, one run:
 * - OpenPanel's logs service (Docker API over the SSH tunnel, demultiplexed, timestamped, batched) vs
 *   `ssh root@host docker logs -t <c> > /dev/null` with OpenSSH (the same dockerd work), as a ratio;
 * - the raw transport: `cat` of the container's log file over ssh2 with each cipher, and over OpenSSH;
 * - all of it without ssh2's native crypto binding (what the packaged app has) and, when a built copy of ssh2 is
 *   found (SSH2_NATIVE, default /tmp/ssh2-native), with it, in a child process that loads that copy instead.
 * Build the copy outside the repo, never commit it:
 *   cp -r node_modules/ssh2 /tmp/ssh2-native && cp -r node_modules/nan /tmp/ssh2-native/node_modules/ &&
 *   cd /tmp/ssh2-native/lib/protocol/crypto && node <repo>/node_modules/node-gyp/bin/node-gyp.js rebuild --nodedir=<node dir>
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestServer } from '../tests/testbed/index.ts';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);
const LINE_BYTES = 200; // with the newline: LINES × 200 B of log text (200 MB by default)
const NATIVE = process.env.SSH2_NATIVE ?? '/tmp/ssh2-native';
const CHILD = process.env.LOGS_BENCH_CHILD; // JSON target: set when this process is the "with binding" run

// The child loads ssh2 from the built copy: a resolve hook, registered before anything imports ssh2.
if (CHILD) {
  const url = pathToFileURL(join(NATIVE, 'lib/index.js')).href;
  register(`data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) { return s === 'ssh2' ? { url: ${JSON.stringify(url)}, shortCircuit: true } : next(s, c); }`)}`);
}
const { connectDocker } = await import('../src/main/services/docker/client.ts');
const { LogsService } = await import('../src/main/services/docker/logs.ts');
const { connectionTo, fmt, table } = await import('./lib.ts');
const { toCommand } = await import('../src/main/services/ssh/quote.ts');
const ssh2 = (await import('ssh2')).default;
const { BUSYBOX_TAG, Testbed } = await import('../tests/testbed/index.ts');

interface Target {
  name: string;
  host: string;
  port: number;
  keyPath: string;
  privateKey: string;
  fingerprint: string;
  container: string;
  logPath: string;
  logBytes: number;
}
type Row = { what: string; bytes: number; ms: number; error?: string };

function bindingLoaded(): boolean {
  const req = createRequire(import.meta.url);
  const path = CHILD ? join(NATIVE, 'lib/protocol/crypto.js') : req.resolve('ssh2/lib/protocol/crypto.js');
  return !!(req(path) as { bindingAvailable?: boolean }).bindingAvailable;
}

function asServer(t: Target): TestServer {
  return { name: t.name, host: t.host, port: t.port, hostKeyFingerprint: t.fingerprint, users: { root: { privateKey: t.privateKey } } } as unknown as TestServer;
}

/** The logs service end to end (no RPC): every line parsed, tagged and batched. Counts text bytes. */
async function openPanelLogs(t: Target): Promise<Row> {
  const conn = connectionTo(asServer(t));
  await conn.ready();
  const docker = await connectDocker(conn);
  const logs = new LogsService(async () => docker);
  const t0 = performance.now();
  let bytes = 0;
  let lines = 0;
  for await (const b of logs.follow('bench', { containerIds: [t.container], follow: false }, new AbortController().signal)) {
    bytes += b.bytes;
    lines += b.lines.length;
  }
  const ms = performance.now() - t0;
  if (lines !== LINES) throw new Error(`expected ${LINES} lines, got ${lines}`);
  docker.close();
  conn.close();
  return { what: 'OpenPanel logs service (docker API over the tunnel)', bytes, ms };
}

/** ssh2 alone, one cipher: `cat` of the log file over an exec channel (the transport's ceiling). */
async function ssh2Cat(t: Target, cipher: string): Promise<Row> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ host: t.host, port: t.port, username: 'root', privateKey: t.privateKey, algorithms: { cipher: [cipher] as never } });
  });
  const t0 = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    client.exec(toCommand(['cat', t.logPath]), (err, ch) => {
      if (err) return reject(err);
      let n = 0;
      ch.on('data', (d: Buffer) => (n += d.length)).on('close', () => resolve(n));
      ch.stderr.resume();
    });
  });
  const ms = performance.now() - t0;
  client.end();
  return { what: `ssh2 exec cat <json log file>, ${cipher}`, bytes, ms };
}

const CIPHERS = ['aes128-gcm@openssh.com', 'aes128-ctr', 'chacha20-poly1305@openssh.com'];
const MEASURES = ['openpanel', ...CIPHERS];

function measureOne(t: Target, which: string): Promise<Row> {
  return which === 'openpanel' ? openPanelLogs(t) : ssh2Cat(t, which);
}

/** One measurement with the built binding, in its own process (a failure there must not end this run). */
async function child(t: Target, which: string): Promise<Row> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [import.meta.filename], { env: { ...process.env, LOGS_BENCH_CHILD: JSON.stringify({ t, which }) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('exit', (code) => {
      if (code === 0) return resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Row);
      const what = which === 'openpanel' ? 'OpenPanel logs service (docker API over the tunnel)' : `ssh2 exec cat <json log file>, ${which}`;
      resolve({ what, bytes: 0, ms: 0, error: /Error: .*/.exec(err)?.[0] ?? `exit ${code}` });
    });
  });
}

async function measure(t: Target): Promise<Row[]> {
  const rows: Row[] = [];
  for (const m of MEASURES) rows.push(await measureOne(t, m));
  return rows;
}

async function timeOpenSsh(t: Target, remote: string[], bytes: number, what: string): Promise<Row> {
  const home = mkdtempSync(join(tmpdir(), 'openpanel-bench-ssh-'));
  const config = join(home, 'config');
  writeFileSync(config, `Host *\n  IdentityFile ${t.keyPath}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n`, { mode: 0o600 });
  const t0 = performance.now();
  await run('sh', ['-c', 'c=$0; p=$1; h=$2; shift 2; exec ssh -F "$c" -p "$p" root@"$h" "$@" > /dev/null', config, String(t.port), t.host, ...remote], { maxBuffer: 1 << 20 });
  return { what, bytes, ms: performance.now() - t0 };
}

async function main() {
  if (CHILD) {
    if (!bindingLoaded()) throw new Error(`the ssh2 copy in ${NATIVE} has no built binding`);
    const { t, which } = JSON.parse(CHILD) as { t: Target; which: string };
    console.log(JSON.stringify(await measureOne(t, which)));
    return;
  }
  const bed = await Testbed.create({ prefix: 'benchlg' });
  try {
    const s = await bed.addServer({ name: 'logs', images: ['busybox'] });
    console.log(`Writing ${LINES.toLocaleString()} log lines of ${LINE_BYTES} bytes (${((LINES * LINE_BYTES) / 1e6).toFixed(0)} MB of text)…`);
    await s.exec(['docker', 'run', '--name', 'big', BUSYBOX_TAG, 'sh', '-c', `yes "$(printf '%0${LINE_BYTES - 1}d' 7)" | head -n ${LINES}`], { check: true, timeoutMs: 900_000 });
    const logPath = (await s.exec(['docker', 'inspect', '-f', '{{.LogPath}}', 'big'], { check: true })).stdout.trim();
    const logBytes = Number((await s.exec(['stat', '-c', '%s', logPath], { check: true })).stdout.trim());
    const t: Target = { name: s.name, host: s.host, port: s.port, keyPath: s.users.root.privateKeyPath, privateKey: s.users.root.privateKey, fingerprint: s.hostKeyFingerprint, container: 'big', logPath, logBytes };
    const text = LINES * LINE_BYTES;

    const openssh = await timeOpenSsh(t, ['docker', 'logs', '-t', 'big'], text, 'OpenSSH: ssh host docker logs -t <c> > /dev/null');
    const opensshCat = await timeOpenSsh(t, ['cat', logPath], logBytes, 'OpenSSH: ssh host cat <json log file>');
    const without = await measure(t);
    if (bindingLoaded()) throw new Error('this run was meant to be without the native binding');
    let withBinding: Row[] | null = null;
    let note = '';
    if (existsSync(join(NATIVE, 'lib/protocol/crypto/build/Release/sshcrypto.node'))) {
      withBinding = [];
      for (const m of MEASURES) withBinding.push(await child(t, m));
    }
    else note = `(no built ssh2 copy in ${NATIVE}: "with binding" not measured)`;

    const mbps = (r: Row) => r.bytes / 1e6 / (r.ms / 1000);
    const rows: (string | number)[][] = [['', 'binding', 'MB', 'seconds', 'MB/s', 'vs OpenSSH docker logs']];
    const add = (r: Row, binding: string) =>
      rows.push(r.error ? [r.what, binding, 'failed:', r.error.slice(0, 60), '', ''] : [r.what, binding, fmt(r.bytes / 1e6, 0), fmt(r.ms / 1000, 2), fmt(mbps(r), 1), `${fmt((100 * mbps(r)) / mbps(openssh), 0)} %`]);
    add(openssh, 'n/a');
    add(opensshCat, 'n/a');
    for (const r of without) add(r, 'no');
    for (const r of withBinding ?? []) add(r, 'yes');
    console.log(`\nLog-stream throughput (${LINES.toLocaleString()} lines, text ${fmt(text / 1e6, 0)} MB; log file ${fmt(logBytes / 1e6, 0)} MB as JSON), one run:`);
    console.log(table(rows));
    if (note) console.log(note);
    console.log(`\nRatio OpenPanel / OpenSSH (docker logs): without binding ${fmt((100 * mbps(without[0]!)) / mbps(openssh), 0)} %` + (withBinding ? `, with binding ${withBinding[0]!.error ? `failed (${withBinding[0]!.error})` : `${fmt((100 * mbps(withBinding[0]!)) / mbps(openssh), 0)} %`}` : ''));
  } finally {
    await bed.teardown();
  }
}

await main();
