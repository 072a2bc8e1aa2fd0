import type { ChannelSecrets, ChannelSettings, Severity } from '../../../shared/contract/alerting.ts';

export interface RenderChannel {
  id: string;
  severities: Severity[] | null;
  settings: ChannelSettings;
  secrets: ChannelSecrets;
}

export interface AlertIntervals {
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
}

export interface RenderInput {
  /** Every channel: each gets a test route on every server, so "send test" works from any server with Watch on. */
  channels: RenderChannel[];
  /** Channels receiving this server's alerts; null = all. */
  selected: readonly string[] | null;
  watchdogUrl: string | null;
  intervals: AlertIntervals;
}

/** The label a test alert carries: it routes the alert to that channel's test receiver only. */
export const TEST_LABEL = 'openpanel_test_channel';
export const TEST_ALERT_NAME = 'OpenPanelTest';
export const NULL_RECEIVER = 'null';
export const WATCHDOG_RECEIVER = 'watchdog';
/**
 * The watchdog URL is pinged at every flush of its group, once a minute: the repeat interval is below the group
 * interval because a repeat is due only when strictly older than it (equal to it, the ping would wait a second flush).
 */
export const WATCHDOG_INTERVAL = '1m';
export const WATCHDOG_REPEAT = '50s';

export const testReceiver = (channelId: string) => `${channelId}-test`;

// Go templates (Alertmanager's): every message names the server, the alert and its summary, per alert.
const SUBJECT = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} on {{ .CommonLabels.server }}{{ with .CommonAnnotations.summary }}: {{ . }}{{ end }}';
const TITLE = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} on {{ .CommonLabels.server }}';
const BODY =
  '{{ range .Alerts }}{{ if eq .Status "resolved" }}RESOLVED{{ else }}FIRING{{ end }}: {{ .Labels.alertname }} on {{ .Labels.server }}\n' +
  '{{ with .Annotations.summary }}{{ . }}\n{{ end }}' +
  '{{ range .Labels.SortedPairs }}  {{ .Name }} = {{ .Value }}\n{{ end }}' +
  'Since {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}{{ if eq .Status "resolved" }}, resolved {{ .EndsAt.Format "2006-01-02 15:04:05 MST" }}{{ end }}\n\n{{ end }}';

const seconds = (n: number) => `${n}s`;

function integration(channel: RenderChannel, sendResolved: boolean): Record<string, unknown> {
  const { settings, secrets } = channel;
  switch (settings.kind) {
    case 'email':
      return {
        email_configs: [
          {
            send_resolved: sendResolved,
            to: settings.to.join(', '),
            from: settings.from,
            smarthost: `${settings.host.includes(':') && !settings.host.startsWith('[') ? `[${settings.host}]` : settings.host}:${settings.port}`,
            ...(settings.username ? { auth_username: settings.username } : {}),
            ...(secrets.password ? { auth_password: secrets.password } : {}),
            require_tls: settings.tls === 'starttls',
            tls_config: { insecure_skip_verify: settings.insecureSkipVerify },
            headers: { Subject: SUBJECT },
            text: BODY,
            html: `<pre>${BODY}</pre>`,
          },
        ],
      };
    case 'slack':
      return {
        slack_configs: [
          { send_resolved: sendResolved, api_url: secrets.webhookUrl ?? '', ...(settings.channel ? { channel: settings.channel } : {}), title: TITLE, text: BODY },
        ],
      };
    case 'discord':
      return { discord_configs: [{ send_resolved: sendResolved, webhook_url: secrets.webhookUrl ?? '', title: TITLE, message: BODY }] };
    case 'telegram':
      return {
        telegram_configs: [
          { send_resolved: sendResolved, api_url: settings.apiUrl, bot_token: secrets.botToken ?? '', chat_id: settings.chatId, parse_mode: '', message: `${TITLE}\n\n${BODY}` },
        ],
      };
    case 'webhook': {
      const http =
        settings.auth === 'bearer'
          ? { http_config: { authorization: { type: 'Bearer', credentials: secrets.token ?? '' } } }
          : settings.auth === 'basic'
            ? { http_config: { basic_auth: { username: settings.username, password: secrets.password ?? '' } } }
            : {};
      return { webhook_configs: [{ send_resolved: sendResolved, url: secrets.url ?? '', max_alerts: 0, ...http }] };
    }
  }
}

function severityMatchers(severities: Severity[] | null): string[] {
  return severities ? [`severity=~"${[...severities].sort().join('|')}"`] : [];
}

/**
 * alertmanager.yml for one server, as JSON (a subset of YAML that Alertmanager reads): the Watchdog route to the
 * dead man's switch (or nowhere), one test route per channel, then every selected channel with `continue` so each
 * receives the alerts of its severities. Alerts no channel takes go to the null receiver.
 */
export function renderAlertmanagerConfig(input: RenderInput): string {
  const { intervals } = input;
  const selected = input.selected === null ? input.channels : input.channels.filter((c) => input.selected?.includes(c.id));
  const receivers: Record<string, unknown>[] = [{ name: NULL_RECEIVER }];
  if (input.watchdogUrl) receivers.push({ name: WATCHDOG_RECEIVER, webhook_configs: [{ send_resolved: false, url: input.watchdogUrl }] });
  for (const channel of input.channels) {
    receivers.push({ name: channel.id, ...integration(channel, true) });
    receivers.push({ name: testReceiver(channel.id), ...integration(channel, false) });
  }
  const routes: Record<string, unknown>[] = [
    {
      matchers: ['alertname="Watchdog"'],
      receiver: input.watchdogUrl ? WATCHDOG_RECEIVER : NULL_RECEIVER,
      group_by: ['alertname'],
      group_wait: '0s',
      group_interval: WATCHDOG_INTERVAL,
      repeat_interval: WATCHDOG_REPEAT,
    },
    ...input.channels.map((c) => ({ matchers: [`${TEST_LABEL}="${c.id}"`], receiver: testReceiver(c.id), group_wait: '0s' })),
    { matchers: [`${TEST_LABEL}=~".+"`], receiver: NULL_RECEIVER },
    ...selected.map((c) => ({ receiver: c.id, continue: true, ...(c.severities ? { matchers: severityMatchers(c.severities) } : {}) })),
  ];
  const config = {
    route: {
      receiver: NULL_RECEIVER,
      group_by: ['...'],
      group_wait: seconds(intervals.groupWaitSeconds),
      group_interval: seconds(intervals.groupIntervalSeconds),
      repeat_interval: seconds(intervals.repeatIntervalSeconds),
      routes,
    },
    receivers,
  };
  return `# Written by OpenPanel (Watch → Channels); edits here are replaced.\n${JSON.stringify(config, null, 2)}\n`;
}
