/**
 * Alert latency with the shipped intervals (scrape/evaluate 10 s, collector 10 s, group wait 5 s), from the event to
 * the email delivered to a real SMTP server, with the app closed (Watch alone on the server):
 * - a failed backup: from the moment the run writes its textfile (last_run_success 0 + the reason, as a failing run
 *   does) to the BackupFailed email; target ≤ 30 s;
 * - a crashed container: from `docker run` of a container that exits at once (--restart always) to the
 *   ContainerRestartLoop email; target ≤ 60 s.
 * The alternative today is "reported at the next connection of the app": unbounded while it is closed, so each
 * figure is printed against its target (ratio ≤ 1 is met). Runs the built CLI in web mode (npx electron-vite build).
 * Rounds: BENCH_ALERT_ROUNDS (default 3).
 */
import { startSmtp } from '../tests/helpers/alert-receivers.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { loadWatchImages, watchImageMapping } from '../tests/helpers/watch-standins.ts';
import { BUSYBOX_TAG, Testbed } from '../tests/testbed/index.ts';
import { fmt, median, table } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_ALERT_ROUNDS ?? 3);

const bed = await Testbed.create({ prefix: 'balert' });
const smtp = await startSmtp(bed);
try {
  const s = await bed.addServer({ name: 'a', images: ['busybox'] });
  await loadWatchImages(s);
  const builder = await s.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: 'openpanel-test/builder:latest' });
  const web = await startWebProcess();
  const connection = await web.client();
  const { client } = connection;
  const serverId = (await addServer(client, s, { name: 'alpha' })).id;
  await client.proxy.updateSettings({
    serverId,
    settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...watchImageMapping(), 'docker:27-cli': builder } } },
  });
  // Shipped intervals; only the host-wide thresholds are out of reach so the shared machine's load does not alert.
  await client.watch.setSettings({ serverId, patch: { thresholds: { loadPerCpu: 50, memoryPercent: 100, diskPercent: 99, diskFillHours: 1 } } });
  await client.alerting.createChannel({
    name: 'Ops mail',
    severities: null,
    settings: { kind: 'email', host: smtp.host, port: smtp.port, tls: 'starttls', insecureSkipVerify: true, from: 'watch@example.test', to: ['ops@example.test'], username: smtp.user, password: smtp.password },
  });
  for await (const p of await client.watch.turnOn({ serverId })) if (p.error) throw new Error(p.error);
  connection.close();
  await web.stop();

  const waitMail = async (what: string, after: number, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const mail = smtp.mails.find((m) => m.at > after && m.subject.startsWith('[FIRING]') && m.subject.includes(what));
      if (mail) return mail.at;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${what} email within ${timeoutMs / 1000} s`);
  };
  const backup: number[] = [];
  const crash: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const job = `job_bench${i}`;
    const prom = [
      `openpanel_backup_last_run_success{job_id="${job}",job_name="nightly-${i}",database="app"} 0`,
      `openpanel_backup_last_failure_info{job_id="${job}",job_name="nightly-${i}",database="app",reason="upload refused: AccessDenied"} 1`,
      '',
    ].join('\n');
    const t0 = Date.now();
    await s.exec(['docker', 'run', '--rm', '-i', '-v', 'openpanel-watch-textfile:/m', BUSYBOX_TAG, 'sh', '-c', 'cat > "/m/$0.tmp" && mv "/m/$0.tmp" "/m/$0"', `backup-${job}.prom`], { input: prom, check: true });
    backup.push((await waitMail(`nightly-${i}`, t0)) - t0);
    await s.exec(['docker', 'run', '--rm', '-v', 'openpanel-watch-textfile:/m', BUSYBOX_TAG, 'rm', '-f', `/m/backup-${job}.prom`], { check: true });

    const t1 = Date.now();
    await s.exec(['docker', 'run', '-d', '--name', `crashy${i}`, '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'exit 3'], { check: true });
    const at = await waitMail(`crashy${i}`, t1).catch(async () => waitMail('ContainerRestartLoop', t1));
    crash.push(at - t1);
    await s.exec(['docker', 'rm', '-f', `crashy${i}`], { check: true });
  }
  const row = (name: string, xs: number[], target: number) => [name, xs.map((x) => fmt(x / 1000, 1)).join(' '), fmt(median(xs) / 1000, 1), target, fmt(median(xs) / 1000 / target, 2)];
  console.log(
    table([
      ['event → email (app closed)', 'rounds (s)', 'median (s)', 'target (s)', 'median / target'],
      row('failed backup (BackupFailed)', backup, 30),
      row('crashed container (ContainerRestartLoop)', crash, 60),
    ]),
  );
} finally {
  await smtp.close();
  await bed.teardown();
}
