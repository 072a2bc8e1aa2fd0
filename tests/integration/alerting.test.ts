// Watch's alerting against a real Alertmanager (Debian's 0.25 in the stand-in image) on a test server: every channel
// kind delivers through it to a real SMTP server or an HTTP double, a failing channel is shown and retried, silences
// suppress, alerts and their history are read, and the channels' secrets stay out of SQLite, the app's output, the
// activity log and world-readable files on the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/shared/contract/index.ts';
import { startHttpReceivers, startSmtp, type ReceivedRequest, type TestHttpReceivers, type TestSmtp } from '../helpers/alert-receivers.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { atRestBytes } from '../helpers/at-rest.ts';
import { addServer } from '../helpers/servers.ts';
import { loadWatchImages, watchImageMapping } from '../helpers/watch-standins.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';

let bed: Testbed;
let s: TestServer;
let app: TestApp;
let smtp: TestSmtp;
let http: TestHttpReceivers;
let serverId: string;
const channels: Record<'email' | 'slack' | 'discord' | 'telegram' | 'webhook', Channel> = {} as never;
const output: string[] = [];
const restore: (() => void)[] = [];
const SERVER = 'alpha';
const WEBHOOK_TOKEN = 'bearer-secret-4c7e21';
const GROUP_INTERVAL = 5;
let watchdogPings: Promise<ReceivedRequest[]> | null = null;
const twoPingsAfter = (start: number) =>
  waitFor(() => {
    const after = http.of('ping').filter((p) => p.at > start);
    return after.length >= 2 ? after : null;
  }, 'two watchdog pings', 200_000, 500);
type ChannelInput = Parameters<TestApp['client']['alerting']['createChannel']>[0];

/** Everything the process writes to stdout/stderr while the tests run (the app's logs). */
function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
}

async function amApi(path: string): Promise<unknown> {
  return (await app.services.watch.http(serverId, 'alertmanager', { path })).json;
}

beforeAll(async () => {
  captureOutput();
  bed = await Testbed.create({ prefix: 'alrt' });
  s = await bed.addServer({ name: 'a', images: ['busybox'] });
  [smtp, http] = await Promise.all([startSmtp(bed), startHttpReceivers(bed)]);
  await loadWatchImages(s);
  const builder = await s.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: 'openpanel-test/builder:latest' });
  app = await startTestApp();
  serverId = (await addServer(app.client, s, { name: SERVER })).id;
  await app.client.proxy.updateSettings({
    serverId,
    settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...watchImageMapping(), 'docker:27-cli': builder } } },
  });
  await app.client.alerting.updateSettings({ groupWaitSeconds: 1, groupIntervalSeconds: GROUP_INTERVAL, watchdogUrl: http.urls.ping });
  await app.client.watch.setSettings({
    serverId,
    // Host-wide thresholds out of reach on this loaded, shared machine: the real alert here is the restart loop.
    patch: {
      intervals: { scrapeSeconds: 2, evaluateSeconds: 2, collectorSeconds: 2 },
      thresholds: { restarts: 1, restartWindowMinutes: 1, pendingSeconds: 0, loadPerCpu: 50, memoryPercent: 100, diskPercent: 99, diskFillHours: 1 },
    },
  });
  const inputs: Record<keyof typeof channels, ChannelInput> = {
    email: {
      name: 'Ops mail',
      severities: null,
      settings: { kind: 'email', host: smtp.host, port: smtp.port, tls: 'starttls', insecureSkipVerify: true, from: 'watch@example.test', to: ['ops@example.test'], username: smtp.user, password: smtp.password },
    },
    slack: { name: 'Slack ops', severities: null, settings: { kind: 'slack', channel: '#ops', webhookUrl: http.urls.slack } },
    discord: { name: 'Discord ops', severities: null, settings: { kind: 'discord', webhookUrl: http.urls.discord } },
    telegram: { name: 'Telegram ops', severities: null, settings: { kind: 'telegram', chatId: -100123, apiUrl: http.urls.telegramApi, botToken: http.telegramToken } },
    webhook: { name: 'ntfy', severities: null, settings: { kind: 'webhook', auth: 'bearer', url: http.urls.webhook, token: WEBHOOK_TOKEN } },
  };
  for (const [kind, input] of Object.entries(inputs) as [keyof typeof channels, ChannelInput][]) {
    const { channel, applied } = await app.client.alerting.createChannel(input);
    expect(applied).toEqual([]); // Watch is not on yet: nothing to apply
    channels[kind] = channel;
  }
  let last;
  for await (const p of await app.client.watch.turnOn({ serverId })) last = p;
  expect(last?.status?.state, last?.error ?? '').toBe('on');
}, 900_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([smtp?.close(), http?.close()]);
  await bed?.teardown();
  for (const r of restore) r();
});

describe('alerting through a real Alertmanager', () => {
  it('writes a config amtool accepts, 0600 owned by Alertmanager’s uid', async () => {
    const check = await s.exec(['docker', 'exec', 'openpanel-watch-alertmanager', 'amtool', 'check-config', '/etc/openpanel-watch/alertmanager.yml']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('SUCCESS');
    const stat = await s.exec(['stat', '-c', '%a %u', '/var/lib/openpanel/watch/alertmanager.yml'], { check: true });
    expect(stat.stdout.trim()).toBe('600 65534');
  }, 60_000);

  it('delivers a test of each channel kind to its receiver only, naming the server and the alert', async () => {
    const sent: Record<string, number> = {};
    for (const [kind, channel] of Object.entries(channels)) {
      sent[kind] = (await app.client.alerting.testChannel({ id: channel.id, serverId })).sentAt;
    }
    const mail = await waitFor(() => smtp.mails.find((m) => m.subject.includes('OpenPanelTest')), 'the test email', 60_000, 200);
    expect(mail.subject).toContain(SERVER);
    expect(mail.text).toContain('channel "Ops mail" receives alerts of alpha');
    expect(mail).toMatchObject({ user: smtp.user, tls: true, to: ['ops@example.test'], from: 'watch@example.test' });

    const isTest = (r: ReceivedRequest) => r.body.includes('OpenPanelTest');
    const slack = await waitFor(() => http.of('slack').find(isTest), 'the Slack message', 60_000, 200);
    const slackText = JSON.stringify(slack.json);
    expect(slackText).toContain('OpenPanelTest on alpha');
    expect(slackText).toContain('channel \\"Slack ops\\"');
    expect(slack.json?.channel).toBe('#ops');

    const discord = await waitFor(() => http.of('discord').find(isTest), 'the Discord message', 60_000, 200);
    expect(discord.path).toBe(new URL(http.urls.discord).pathname);
    expect(JSON.stringify(discord.json)).toContain('channel \\"Discord ops\\"');

    const telegram = await waitFor(() => http.of('telegram').find((r) => r.path.endsWith('/sendMessage') && isTest(r)), 'the Telegram sendMessage', 60_000, 200);
    expect(telegram.path).toBe(`/telegram/bot${http.telegramToken}/sendMessage`);
    expect(Number(telegram.json?.chat_id)).toBe(-100123);
    expect(String(telegram.json?.text)).toContain('channel "Telegram ops"');

    const hook = await waitFor(() => http.of('webhook').find(isTest), 'the webhook call', 60_000, 200);
    expect(hook.headers.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);
    const alert = (hook.json?.alerts as { labels: Record<string, string> }[])[0];
    expect(alert?.labels).toMatchObject({ alertname: 'OpenPanelTest', server: SERVER, openpanel_test_channel: channels.webhook.id });

    // Each test went to its own channel only.
    expect(smtp.mails.filter((m) => m.subject.includes('OpenPanelTest'))).toHaveLength(1);
    for (const kind of ['slack', 'discord', 'telegram', 'webhook'] as const) expect(http.of(kind).filter(isTest), kind).toHaveLength(1);
    expect(JSON.stringify(hook.json)).not.toContain('Slack ops');
  }, 180_000);

  it('shows a channel failing while SMTP is down, and Alertmanager’s retry delivers once it is back', async () => {
    await smtp.down();
    const before = smtp.mails.length;
    const { sentAt } = await app.client.alerting.testChannel({ id: channels.email.id, serverId });
    const failing = await waitFor(
      async () => (await app.client.alerting.channelStatus({ serverId })).channels.find((c) => c.channelId === channels.email.id && c.state === 'failing'),
      'the email channel failing',
      90_000,
      1000,
    );
    expect(failing.lastFailureAt).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(failing.lastError).toMatch(/refused|connect/i);
    const report = await app.client.alerting.channelStatus({ serverId });
    expect(report.integrations.find((i) => i.integration === 'email')?.failed).toBeGreaterThan(0);
    expect(report.channels.find((c) => c.channelId === channels.slack.id)?.state).toBe('ok');
    expect(smtp.mails.length).toBe(before);

    await smtp.start();
    const mail = await waitFor(() => smtp.mails.slice(before).find((m) => m.subject.includes('OpenPanelTest')), 'the retried email', 120_000, 250);
    expect(mail.at).toBeGreaterThan(failing.lastFailureAt ?? 0);
    await waitFor(
      async () => (await app.client.alerting.channelStatus({ serverId })).channels.find((c) => c.channelId === channels.email.id && c.state === 'ok'),
      'the email channel ok again',
      90_000,
      1000,
    );
  }, 300_000);

  it('a silence suppresses the alert it matches; once expired, the next one goes through', async () => {
    const { id } = await app.client.alerting.createSilence({
      serverId,
      matchers: [{ name: 'openpanel_test_channel', value: channels.webhook.id, isRegex: false, isEqual: true }],
      durationMinutes: 60,
      comment: 'maintenance',
    });
    const listed = (await app.client.alerting.silences({ serverId })).find((x) => x.id === id);
    expect(listed).toMatchObject({ state: 'active', comment: 'maintenance', createdBy: 'OpenPanel' });
    expect((listed?.endsAt ?? 0) - (listed?.startsAt ?? 0)).toBeGreaterThan(59 * 60_000);

    const muted = await app.client.alerting.testChannel({ id: channels.webhook.id, serverId });
    const ofTest = (sentAt: number) => http.of('webhook').filter((r) => (r.json?.alerts as { labels: Record<string, string> }[] | undefined)?.[0]?.labels.test_id === String(sentAt));
    const held = await waitFor(
      async () =>
        ((await amApi('/api/v2/alerts')) as { labels: Record<string, string>; status: { state: string; silencedBy: string[] } }[]).find(
          (a) => a.labels.test_id === String(muted.sentAt) && a.status.state === 'suppressed',
        ),
      'the test alert suppressed by the silence',
      30_000,
      250,
    );
    expect(held.status.silencedBy).toEqual([id]);
    // Absence over the time a delivery takes (group wait 0 s for tests, + group interval): nothing arrives.
    await new Promise((r) => setTimeout(r, (GROUP_INTERVAL + 3) * 1000));
    expect(ofTest(muted.sentAt)).toEqual([]);

    expect(await app.client.alerting.expireSilence({ serverId, id })).toEqual({ expired: true });
    expect((await app.client.alerting.silences({ serverId })).find((x) => x.id === id)?.state).toBe('expired');
    const next = await app.client.alerting.testChannel({ id: channels.webhook.id, serverId });
    const got = await waitFor(
      () => ofTest(next.sentAt)[0],
      'the next test after the silence expired',
      60_000,
      250,
    );
    expect(got.headers.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);
  }, 180_000);

  it('lists a real alert now, its history as an episode, resolves it, and missed() reports it', async () => {
    // Nothing reloads Alertmanager from here to the watchdog case (send test does): its pings, a minute apart, are watched meanwhile.
    watchdogPings = twoPingsAfter(Date.now());
    watchdogPings.catch(() => undefined);
    const since = Date.now();
    app.services.alerting.markSeen(serverId, since);
    await s.exec(['docker', 'run', '-d', '--name', 'crashy', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'sleep 1; exit 3'], { check: true });
    const firing = await waitFor(
      async () => (await app.client.alerting.alerts({ serverId })).find((a) => a.name === 'ContainerRestartLoop' && a.labels.container === 'crashy'),
      'ContainerRestartLoop for crashy in Alertmanager',
      120_000,
      1000,
    );
    expect(firing.summary).toContain('crashy');
    expect(firing.labels.server).toBe(SERVER);
    const hook = await waitFor(
      () => http.of('webhook').find((r) => JSON.stringify(r.json).includes('ContainerRestartLoop') && r.json?.status === 'firing'),
      'the firing ContainerRestartLoop notification',
      60_000,
      500,
    );
    expect(JSON.stringify(hook.json)).toContain('crashy');
    const ongoing = await waitFor(
      async () => (await app.client.alerting.history({ serverId, since })).find((e) => e.name === 'ContainerRestartLoop' && e.labels.container === 'crashy'),
      'the episode in Prometheus history',
      60_000,
      1000,
    );
    expect(ongoing.to).toBeNull();
    expect(ongoing.from).toBeGreaterThanOrEqual(since - 5000);
    const missed = (await app.client.alerting.missed()).find((m) => m.serverId === serverId);
    expect(missed?.error).toBeNull();
    expect(missed?.since).toBe(since);
    expect(missed?.episodes.some((e) => e.name === 'ContainerRestartLoop')).toBe(true);

    await s.exec(['docker', 'rm', '-f', 'crashy'], { check: true });
    const removedAt = Date.now();
    // The loop may have paused and fired again before (Docker's restart back-off): the resolution that counts comes after the removal.
    await waitFor(
      () => http.of('webhook').find((r) => r.at > removedAt && JSON.stringify(r.json).includes('ContainerRestartLoop') && r.json?.status === 'resolved'),
      'the resolved ContainerRestartLoop notification',
      180_000,
      1000,
    );
    const ended = await waitFor(
      async () => {
        const episodes = (await app.client.alerting.history({ serverId, since })).filter((e) => e.name === 'ContainerRestartLoop' && e.labels.container === 'crashy');
        return episodes.length > 0 && episodes.every((e) => e.to !== null) ? episodes[0] : null;
      },
      'every crashy episode ended in the history',
      60_000,
      1000,
    );
    expect(ended.to).toBeGreaterThan(ended.from);
    // Marked seen: the next report starts there.
    const { seenAt } = await app.client.alerting.markSeen({ serverId, at: (ended.to ?? 0) + 1 });
    expect((await app.client.alerting.missed()).find((m) => m.serverId === serverId)?.since).toBe(seenAt);
  }, 420_000);

  it('pings the watchdog URL about every minute while Alertmanager runs', async () => {
    expect(http.of('ping').length).toBeGreaterThan(0);
    expect((http.of('ping')[0]?.json?.alerts as { labels: Record<string, string> }[])[0]?.labels).toMatchObject({ alertname: 'Watchdog', server: SERVER });
    // Two pings with no config reload between them (a reload restarts the group's timer): the next case edits a channel.
    const pings = await (watchdogPings ?? twoPingsAfter(Date.now()));
    const gap = (pings[1]?.at ?? 0) - (pings[0]?.at ?? 0);
    expect(gap).toBeGreaterThan(50_000);
    expect(gap).toBeLessThan(80_000);
  }, 240_000);

  it('refuses bad channel input naming the field, keeps stored secrets on edit, and never returns them', async () => {
    const email = { kind: 'email' as const, host: smtp.host, port: 587, tls: 'tls' as const, from: 'a@example.test', to: ['b@example.test'] };
    const issues = async (call: Promise<unknown>) => {
      const e = await rpcError(call);
      expect(e.code).toBe('INPUT_INVALID');
      return `${e.message} ${JSON.stringify(e.data)}`;
    };
    expect(await issues(app.client.alerting.createChannel({ name: 'x', settings: email }))).toContain('settings.port');
    expect(await issues(app.client.alerting.createChannel({ name: 'x', settings: { kind: 'slack' } }))).toContain('settings.webhookUrl');
    expect(await issues(app.client.alerting.createChannel({ name: 'x', settings: { kind: 'webhook', url: 'http://x.test/a"\nreceivers: []' } }))).toContain('url');
    expect(await issues(app.client.alerting.createChannel({ name: 'x', settings: { kind: 'telegram', chatId: 1, botToken: 'no token' } }))).toContain('botToken');
    expect(await issues(app.client.alerting.createChannel({ name: 'x', settings: { ...email, tls: 'starttls', to: ['not an address'] } }))).toContain('settings.to[0]');
    expect(await issues(app.client.alerting.setServerChannels({ serverId, channelIds: ['ch_missing'] }))).toContain('channelIds[0]');
    expect(
      await issues(app.client.alerting.createSilence({ serverId, matchers: [{ name: 'bad name', value: 'x' }], durationMinutes: 60, comment: 'c' })),
    ).toContain('matchers[0].name');
    expect((await app.client.alerting.channels()).length).toBe(5);

    // An edit without the secret keeps the stored one: Alertmanager still gets the token.
    const { channel } = await app.client.alerting.updateChannel({ id: channels.webhook.id, name: 'ntfy (renamed)', settings: { kind: 'webhook', auth: 'bearer' } });
    expect(channel.secretsSet.sort()).toEqual(['token', 'url']);
    const listed = JSON.stringify(await app.client.alerting.channels());
    for (const secret of [WEBHOOK_TOKEN, smtp.password, http.telegramToken, 'slack-secret-5b2f']) expect(listed).not.toContain(secret);
    const config = (await s.exec(['cat', '/var/lib/openpanel/watch/alertmanager.yml'], { check: true })).stdout;
    expect(config).toContain(`"credentials": "${WEBHOOK_TOKEN}"`);
  }, 60_000);

  it('keeps the channels’ secrets out of SQLite, the app’s output, the activity log and world-readable files on the server', async () => {
    const secrets = {
      smtpPassword: smtp.password,
      slack: 'slack-secret-5b2f',
      discord: 'discord-secret-9c1a',
      telegram: http.telegramToken,
      webhookUrl: 'ntfy-topic-secret-77aa',
      webhookToken: WEBHOOK_TOKEN,
      watchdog: 'hc-uuid-secret-3e8d',
    };
    // Positive control: every secret is really on the server, in the config only Alertmanager's uid can read.
    const config = (await s.exec(['cat', '/var/lib/openpanel/watch/alertmanager.yml'], { check: true })).stdout;
    for (const [name, value] of Object.entries(secrets)) expect(config.includes(value), name).toBe(true);

    const bytes = atRestBytes(app);
    const logs = output.join('');
    const activity = JSON.stringify(await app.client.activity.list({ limit: 500 }));
    expect(activity).toContain('alerting.createChannel');
    expect(activity).toContain('[redacted]');
    for (const [name, value] of Object.entries(secrets)) {
      expect(bytes.includes(Buffer.from(value)), `${name} in the data dir`).toBe(false);
      expect(logs.includes(value), `${name} in the app's output`).toBe(false);
      expect(activity.includes(value), `${name} in the activity log`).toBe(false);
    }
    const grep = ['-e', ...Object.values(secrets).flatMap((v) => [v, '-e'])].slice(0, -1);
    const found = await s.exec(['sh', '-c', 'find /var/lib/openpanel /tmp -type f -perm -o+r -exec grep -l -F "$@" {} + 2>/dev/null; true', 'sh', ...grep], { check: true });
    expect(found.stdout.trim()).toBe('');
    // The same search without the permission filter finds the config: the search would catch a readable copy.
    const control = await s.exec(['sh', '-c', 'find /var/lib/openpanel -type f -exec grep -l -F "$@" {} + 2>/dev/null; true', 'sh', ...grep], { check: true });
    expect(control.stdout).toContain('alertmanager.yml');
  }, 60_000);
});
