import { z } from 'zod';
import { base, Id, Timestamp } from './base.ts';

/**
 * Watch's alerting: channels (Alertmanager receivers), silences, alerts now and what fired while the app was closed.
 * Secret fields (password, webhookUrl, url, botToken, token) are write-only: they go to the keychain and are never
 * returned; on the server they sit only in alertmanager.yml (mode 0600, owned by Alertmanager's uid).
 */

export const Severity = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

export const ChannelKind = z.enum(['email', 'slack', 'discord', 'telegram', 'webhook']);
export type ChannelKind = z.infer<typeof ChannelKind>;

const Host = z
  .string()
  .trim()
  .min(1, 'expected a host name or address')
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or address like smtp.example.com');
const Port = z.number().int('expected a whole number').min(1, 'expected a port from 1 to 65535').max(65535, 'expected a port from 1 to 65535');
const Email = z.string().trim().max(254).regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'expected an email address like ops@example.com');
const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .regex(/^https?:\/\/[^\s"'\\]+$/, 'expected an http(s) URL without spaces or quotes');
const Secret = z.string().max(4096).regex(/^[^\r\n]*$/, 'expected a single line');
const Username = z.string().trim().max(256).regex(/^[^\r\n]*$/, 'expected a single line');

/** What is stored and shown (no secrets), per kind. */
export const EmailSettings = z.object({
  kind: z.literal('email'),
  host: Host,
  port: Port,
  /** starttls: STARTTLS required; tls: implicit TLS (Alertmanager does it on port 465 only); none: plain SMTP. */
  tls: z.enum(['starttls', 'tls', 'none']),
  /** Accept a self-signed certificate of the SMTP server. */
  insecureSkipVerify: z.boolean().default(false),
  from: Email,
  to: z.array(Email).min(1, 'expected at least one recipient').max(20, 'expected at most 20 recipients'),
  username: Username.default(''),
});
export const SlackSettings = z.object({ kind: z.literal('slack'), channel: z.string().trim().max(80).regex(/^[#@]?[A-Za-z0-9._-]*$/, 'expected a channel like #alerts').default('') });
export const DiscordSettings = z.object({ kind: z.literal('discord') });
export const TelegramSettings = z.object({
  kind: z.literal('telegram'),
  chatId: z.number().int('expected a whole number (the chat id, negative for groups)').refine((n) => n !== 0, 'expected a chat id other than 0'),
  /** The Bot API's base URL: api.telegram.org, or a self-hosted Bot API server. */
  apiUrl: HttpUrl.default('https://api.telegram.org'),
});
export const WebhookSettings = z.object({
  kind: z.literal('webhook'),
  auth: z.enum(['none', 'bearer', 'basic']).default('none'),
  username: Username.default(''),
});
export const ChannelSettings = z.discriminatedUnion('kind', [EmailSettings, SlackSettings, DiscordSettings, TelegramSettings, WebhookSettings]);
export type ChannelSettings = z.infer<typeof ChannelSettings>;

/** The secret part of each kind (kept in the keychain as one JSON value). */
export const ChannelSecrets = z.object({
  password: z.string().optional(),
  webhookUrl: z.string().optional(),
  botToken: z.string().optional(),
  url: z.string().optional(),
  token: z.string().optional(),
});
export type ChannelSecrets = z.infer<typeof ChannelSecrets>;

/** Settings as entered: the non-secret fields plus the secrets of the kind (optional on update: empty keeps the stored one). */
export const ChannelSettingsInput = z.discriminatedUnion('kind', [
  EmailSettings.extend({ password: Secret.optional() }).strict(),
  SlackSettings.extend({ webhookUrl: HttpUrl.optional() }).strict(),
  DiscordSettings.extend({ webhookUrl: HttpUrl.optional() }).strict(),
  TelegramSettings.extend({ botToken: z.string().trim().regex(/^([0-9]+:[A-Za-z0-9_-]+)?$/, 'expected a bot token like 123456:ABC-DEF…').optional() }).strict(),
  WebhookSettings.extend({ url: HttpUrl.optional(), token: Secret.optional(), password: Secret.optional() }).strict(),
]);
export type ChannelSettingsInput = z.infer<typeof ChannelSettingsInput>;

export const CHANNEL_SECRET_FIELDS = ['password', 'webhookUrl', 'botToken', 'url', 'token'] as const;

const ChannelName = z.string().trim().min(1, 'expected a name').max(80, 'expected at most 80 characters').regex(/^[^\r\n]*$/, 'expected a single line');
/** Severities this channel receives; null = all. */
const Severities = z.array(Severity).min(1, 'expected at least one severity, or null for all').nullable().default(null);

export const CreateChannelInput = z.object({ name: ChannelName, severities: Severities, settings: ChannelSettingsInput }).strict();
export type CreateChannelInput = z.infer<typeof CreateChannelInput>;
export const UpdateChannelInput = z.object({ id: Id, name: ChannelName, severities: Severities, settings: ChannelSettingsInput }).strict();
export type UpdateChannelInput = z.infer<typeof UpdateChannelInput>;

export const Channel = z.object({
  id: z.string(),
  name: z.string(),
  kind: ChannelKind,
  severities: z.array(Severity).nullable(),
  settings: ChannelSettings,
  /** Where it sends, without secrets (the SMTP host, the webhook's host). */
  endpoint: z.string(),
  /** Which secret fields are stored (values never leave the keychain through the API). */
  secretsSet: z.array(z.string()),
  createdAt: Timestamp,
});
export type Channel = z.infer<typeof Channel>;

/** How applying the new Alertmanager config went on each server with Watch on. */
export const Applied = z.array(z.object({ serverId: z.string(), ok: z.boolean(), error: z.string().nullable() }));
export type Applied = z.infer<typeof Applied>;

export const AlertingSettings = z.object({
  /** Whether a dead man's switch URL is set (it is a secret: only its host is shown). */
  watchdogSet: z.boolean(),
  watchdogHost: z.string().nullable(),
  groupWaitSeconds: z.number().int(),
  groupIntervalSeconds: z.number().int(),
  repeatIntervalSeconds: z.number().int(),
});
export type AlertingSettings = z.infer<typeof AlertingSettings>;

export const UpdateAlertingSettingsInput = z
  .object({
    /** The dead man's switch (healthchecks-style) URL pinged every minute while Alertmanager runs; '' removes it. */
    watchdogUrl: z.union([z.literal(''), HttpUrl]).optional(),
    groupWaitSeconds: z.number().int('expected whole seconds').min(0, 'expected 0 to 600 seconds').max(600, 'expected 0 to 600 seconds').optional(),
    groupIntervalSeconds: z.number().int('expected whole seconds').min(1, 'expected 1 to 3600 seconds').max(3600, 'expected 1 to 3600 seconds').optional(),
    repeatIntervalSeconds: z.number().int('expected whole seconds').min(60, 'expected 60 seconds to 7 days').max(604_800, 'expected 60 seconds to 7 days').optional(),
  })
  .strict();

export const ServerChannels = z.object({ serverId: z.string(), channelIds: z.array(z.string()).nullable() });

export const ChannelStatus = z.object({
  channelId: z.string(),
  /** ok: no failure in the last two group intervals; retrying: failed attempts, Alertmanager retries; failing: gave up at least once and still fails. */
  state: z.enum(['ok', 'retrying', 'failing']),
  lastFailureAt: Timestamp.nullable(),
  lastError: z.string().nullable(),
});
export type ChannelStatus = z.infer<typeof ChannelStatus>;

export const ChannelStatusReport = z.object({
  serverId: z.string(),
  channels: z.array(ChannelStatus),
  /** Alertmanager's counters per integration (email, slack, discord, telegram, webhook). */
  integrations: z.array(z.object({ integration: z.string(), sent: z.number(), failed: z.number() })),
});

export const Matcher = z
  .object({
    name: z.string().trim().min(1, 'expected a label name').max(100).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a label name like alertname'),
    value: z.string().max(1000),
    isRegex: z.boolean().default(false),
    isEqual: z.boolean().default(true),
  })
  .strict();

export const CreateSilenceInput = z
  .object({
    serverId: Id,
    matchers: z.array(Matcher).min(1, 'expected at least one matcher').max(20),
    durationMinutes: z.number().int('expected whole minutes').min(1, 'expected 1 minute to 90 days').max(129_600, 'expected 1 minute to 90 days'),
    comment: z.string().trim().min(1, 'expected a comment (why it is muted)').max(500),
  })
  .strict();

export const Silence = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean() })),
  startsAt: Timestamp,
  endsAt: Timestamp,
  comment: z.string(),
  createdBy: z.string(),
  state: z.enum(['active', 'pending', 'expired']),
});
export type Silence = z.infer<typeof Silence>;

export const ActiveAlert = z.object({
  fingerprint: z.string(),
  name: z.string(),
  severity: z.string().nullable(),
  summary: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  startsAt: Timestamp,
  state: z.enum(['active', 'suppressed', 'unprocessed']),
  silencedBy: z.array(z.string()),
});
export type ActiveAlert = z.infer<typeof ActiveAlert>;

/** One firing period of one alert (from Prometheus's ALERTS series). */
export const AlertEpisode = z.object({
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  from: Timestamp,
  /** null while still firing. */
  to: Timestamp.nullable(),
});
export type AlertEpisode = z.infer<typeof AlertEpisode>;

export const MissedReport = z.array(
  z.object({ serverId: z.string(), serverName: z.string(), since: Timestamp, episodes: z.array(AlertEpisode), error: z.string().nullable() }),
);

const ServerInput = z.object({ serverId: Id }).strict();
const secretFields = CHANNEL_SECRET_FIELDS;

export const alerting = {
  channels: base.output(z.array(Channel)),
  createChannel: base.meta({ mutating: true, secretFields }).input(CreateChannelInput).output(z.object({ channel: Channel, applied: Applied })),
  updateChannel: base.meta({ mutating: true, secretFields }).input(UpdateChannelInput).output(z.object({ channel: Channel, applied: Applied })),
  removeChannel: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ removed: z.boolean(), applied: Applied })),
  /** Posts a test alert to the server's Alertmanager, routed only to this channel (the configuration Alertmanager uses). */
  testChannel: base
    .meta({ mutating: true })
    .input(z.object({ id: Id, serverId: Id }).strict())
    .output(z.object({ alertName: z.string(), sentAt: Timestamp })),
  channelStatus: base.input(ServerInput).output(ChannelStatusReport),
  /** Which channels receive this server's alerts (null = all). */
  serverChannels: base.input(ServerInput).output(ServerChannels),
  setServerChannels: base
    .meta({ mutating: true })
    .input(z.object({ serverId: Id, channelIds: z.array(Id).max(100).nullable() }).strict())
    .output(z.object({ serverId: z.string(), channelIds: z.array(z.string()).nullable(), applied: Applied })),
  settings: base.output(AlertingSettings),
  updateSettings: base
    .meta({ mutating: true, secretFields: ['watchdogUrl'] })
    .input(UpdateAlertingSettingsInput)
    .output(z.object({ settings: AlertingSettings, applied: Applied })),
  silences: base.input(ServerInput).output(z.array(Silence)),
  createSilence: base.meta({ mutating: true }).input(CreateSilenceInput).output(z.object({ id: z.string() })),
  expireSilence: base.meta({ mutating: true }).input(z.object({ serverId: Id, id: z.string().regex(/^[0-9a-f-]{1,64}$/, 'expected a silence id') }).strict()).output(z.object({ expired: z.boolean() })),
  /** Alerts Alertmanager holds now (firing, silenced or not). */
  alerts: base.input(ServerInput).output(z.array(ActiveAlert)),
  /** What fired since a time, as episodes (from, to or still firing). */
  history: base
    .input(z.object({ serverId: Id, since: Timestamp, until: Timestamp.optional() }).strict())
    .output(z.array(AlertEpisode)),
  /** For each server with Watch on: what fired since the app last marked it seen (at most 7 days back). */
  missed: base.output(MissedReport),
  markSeen: base
    .meta({ mutating: true })
    .input(z.object({ serverId: Id.optional(), at: Timestamp.optional() }).strict())
    .output(z.object({ seenAt: Timestamp })),
};
