import { describe, expect, it } from 'vitest';
import { renderAlertmanagerConfig, type RenderChannel, type RenderInput } from './render.ts';

const email: RenderChannel = {
  id: 'ch_mail',
  severities: null,
  settings: { kind: 'email', host: 'smtp.example.com', port: 587, tls: 'starttls', insecureSkipVerify: false, from: 'op@example.com', to: ['a@example.com', 'b@example.com'], username: 'op' },
  secrets: { password: 'pw-secret' },
};
const slack: RenderChannel = { id: 'ch_slack', severities: ['warning', 'critical'], settings: { kind: 'slack', channel: '#ops' }, secrets: { webhookUrl: 'https://hooks.example/T/B/x' } };
const telegram: RenderChannel = {
  id: 'ch_tg',
  severities: null,
  settings: { kind: 'telegram', chatId: -100123, apiUrl: 'http://10.0.0.1:8081' },
  secrets: { botToken: '123:abc' },
};
const hook: RenderChannel = { id: 'ch_hook', severities: null, settings: { kind: 'webhook', auth: 'bearer', username: '' }, secrets: { url: 'https://ntfy.example/topic', token: 'tk' } };
const basic: RenderChannel = { id: 'ch_basic', severities: null, settings: { kind: 'webhook', auth: 'basic', username: 'u' }, secrets: { url: 'https://gotify.example/message', password: 'pw' } };
const discord: RenderChannel = { id: 'ch_dc', severities: ['critical'], settings: { kind: 'discord' }, secrets: { webhookUrl: 'https://discord.example/api/webhooks/1/x' } };
const intervals = { groupWaitSeconds: 5, groupIntervalSeconds: 30, repeatIntervalSeconds: 14_400 };

interface Route {
  receiver: string;
  matchers?: string[];
  continue?: boolean;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
}
interface Config {
  route: Route & { group_by: string[]; routes: Route[] };
  receivers: ({ name: string } & Record<string, { send_resolved: boolean } & Record<string, unknown>>)[];
}

function render(input: Partial<RenderInput>): Config {
  const text = renderAlertmanagerConfig({ channels: [email, slack, telegram, hook, basic, discord], selected: null, watchdogUrl: null, intervals, ...input });
  return JSON.parse(text.replace(/^#.*\n/, '')) as Config;
}
const receiver = (config: Config, name: string) => config.receivers.find((r) => r.name === name);

describe('renderAlertmanagerConfig', () => {
  it('routes every selected channel with continue, by severity when set, after the watchdog and test routes', () => {
    const config = render({});
    expect(config.route).toMatchObject({ receiver: 'null', group_by: ['...'], group_wait: '5s', group_interval: '30s', repeat_interval: '14400s' });
    const routes = config.route.routes;
    expect(routes[0]).toMatchObject({ matchers: ['alertname="Watchdog"'], receiver: 'null', group_interval: '1m', repeat_interval: '50s' });
    const channelRoutes = routes.filter((r) => r.continue);
    expect(channelRoutes.map((r) => r.receiver)).toEqual(['ch_mail', 'ch_slack', 'ch_tg', 'ch_hook', 'ch_basic', 'ch_dc']);
    expect(channelRoutes.find((r) => r.receiver === 'ch_slack')?.matchers).toEqual(['severity=~"critical|warning"']);
    expect(channelRoutes.find((r) => r.receiver === 'ch_dc')?.matchers).toEqual(['severity=~"critical"']);
    expect(channelRoutes.find((r) => r.receiver === 'ch_mail')?.matchers).toBeUndefined();
    // Test routes come before the channel routes and do not continue: a test reaches its one channel only.
    const testRoute = routes.findIndex((r) => r.receiver === 'ch_mail-test');
    expect(testRoute).toBeGreaterThan(0);
    expect(testRoute).toBeLessThan(routes.indexOf(channelRoutes[0] as Route));
    expect(routes[testRoute]).toMatchObject({ matchers: ['openpanel_test_channel="ch_mail"'] });
    expect(routes[testRoute]?.continue).toBeUndefined();
  });

  it('routes only the selected channels of the server, but keeps every test route', () => {
    const config = render({ selected: ['ch_slack'] });
    expect(config.route.routes.filter((r) => r.continue).map((r) => r.receiver)).toEqual(['ch_slack']);
    expect(config.route.routes.filter((r) => r.receiver.endsWith('-test')).length).toBe(6);
    expect(render({ selected: [] }).route.routes.filter((r) => r.continue)).toEqual([]);
  });

  it('sends the watchdog to the dead man’s switch every minute, never to a channel', () => {
    const config = render({ watchdogUrl: 'https://hc.example/ping/abc' });
    expect(config.route.routes[0]).toMatchObject({ receiver: 'watchdog', group_interval: '1m', repeat_interval: '50s' });
    expect(receiver(config, 'watchdog')?.webhook_configs).toEqual([{ send_resolved: false, url: 'https://hc.example/ping/abc' }]);
  });

  it('renders each kind with its settings and secrets, resolved messages on, tests without them', () => {
    const config = render({});
    expect(receiver(config, 'ch_mail')?.email_configs).toMatchObject([
      { send_resolved: true, to: 'a@example.com, b@example.com', from: 'op@example.com', smarthost: 'smtp.example.com:587', auth_username: 'op', auth_password: 'pw-secret', require_tls: true },
    ]);
    expect((receiver(config, 'ch_mail-test')?.email_configs as unknown as { send_resolved: boolean }[])[0]?.send_resolved).toBe(false);
    expect(receiver(config, 'ch_slack')?.slack_configs).toMatchObject([{ api_url: 'https://hooks.example/T/B/x', channel: '#ops', send_resolved: true }]);
    expect(receiver(config, 'ch_tg')?.telegram_configs).toMatchObject([{ api_url: 'http://10.0.0.1:8081', bot_token: '123:abc', chat_id: -100123, parse_mode: '' }]);
    expect(receiver(config, 'ch_hook')?.webhook_configs).toMatchObject([{ url: 'https://ntfy.example/topic', http_config: { authorization: { type: 'Bearer', credentials: 'tk' } } }]);
    expect(receiver(config, 'ch_basic')?.webhook_configs).toMatchObject([{ url: 'https://gotify.example/message', http_config: { basic_auth: { username: 'u', password: 'pw' } } }]);
    expect(receiver(config, 'ch_dc')?.discord_configs).toMatchObject([{ webhook_url: 'https://discord.example/api/webhooks/1/x' }]);
    const plain = render({ channels: [{ ...email, settings: { ...email.settings, tls: 'none', username: '' } as RenderChannel['settings'], secrets: {} }] });
    const cfg = (receiver(plain, 'ch_mail')?.email_configs as unknown as Record<string, unknown>[])[0];
    expect(cfg).toMatchObject({ require_tls: false });
    expect(cfg).not.toHaveProperty('auth_password');
  });

  it('names the server, the alert and its summary in subjects and messages', () => {
    const config = render({});
    const mail = (receiver(config, 'ch_mail')?.email_configs as unknown as { headers: { Subject: string }; text: string }[])[0];
    for (const text of [mail?.headers.Subject, mail?.text, (receiver(config, 'ch_slack')?.slack_configs as unknown as { text: string }[])[0]?.text]) {
      expect(text).toContain('alertname');
      expect(text).toContain('server');
      expect(text).toContain('summary');
    }
  });

  it('keeps a value with quotes and newlines one string (JSON escapes it; YAML reads JSON)', () => {
    const tricky: RenderChannel = { ...hook, secrets: { url: 'https://x.example/a"b\nc: d', token: 't' } };
    const config = render({ channels: [tricky] });
    expect((receiver(config, 'ch_hook')?.webhook_configs as unknown as { url: string }[])[0]?.url).toBe('https://x.example/a"b\nc: d');
  });
});
