import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  AlertingSettings,
  Channel,
  ChannelSecrets,
  ChannelSettings,
  type ChannelSettingsInput,
  type CreateChannelInput,
  type Severity,
  type UpdateChannelInput,
} from '../../../shared/contract/alerting.ts';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { alertChannels, alertServers, settings as settingsTable } from '../db/schema.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { AlertIntervals, RenderChannel } from './render.ts';

const SETTINGS_KEY = 'alerting';
const StoredSettings = z.object({
  watchdogRef: z.string().nullable().default(null),
  watchdogHost: z.string().nullable().default(null),
  groupWaitSeconds: z.number().int().default(5),
  groupIntervalSeconds: z.number().int().default(30),
  repeatIntervalSeconds: z.number().int().default(4 * 3600),
});
type StoredSettings = z.infer<typeof StoredSettings>;

/** Which secret fields each kind has; anything else given is refused by the contract. */
const SECRET_KEYS: Record<ChannelSettings['kind'], (keyof ChannelSecrets)[]> = {
  email: ['password'],
  slack: ['webhookUrl'],
  discord: ['webhookUrl'],
  telegram: ['botToken'],
  webhook: ['url', 'token', 'password'],
};

type Row = typeof alertChannels.$inferSelect;

function split(input: ChannelSettingsInput): { settings: ChannelSettings; secrets: ChannelSecrets } {
  const secrets: Record<string, string> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if ((SECRET_KEYS[input.kind] as string[]).includes(k)) {
      if (typeof v === 'string' && v !== '') secrets[k] = v;
    } else rest[k] = v;
  }
  return { settings: ChannelSettings.parse(rest), secrets };
}

function hostOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function endpointOf(settings: ChannelSettings, secrets: ChannelSecrets): string {
  switch (settings.kind) {
    case 'email':
      return `${settings.host}:${settings.port}`;
    case 'telegram':
      return hostOf(settings.apiUrl);
    case 'webhook':
      return hostOf(secrets.url);
    default:
      return hostOf(secrets.webhookUrl);
  }
}

/** A field-first INPUT_INVALID for what the schema cannot say alone (it depends on the kind or the stored secrets). */
function invalid(path: string, message: string): AppError {
  return new AppError('INPUT_INVALID', `${path}: ${message}`, { issues: [{ path, message }] });
}

function checkComplete(settings: ChannelSettings, secrets: ChannelSecrets): void {
  switch (settings.kind) {
    case 'email':
      if (settings.tls === 'tls' && settings.port !== 465) throw invalid('settings.port', 'expected 465 with TLS mode tls (Alertmanager uses implicit TLS on port 465 only; use starttls on other ports)');
      if (secrets.password && !settings.username) throw invalid('settings.username', 'expected a user name with the password');
      return;
    case 'slack':
    case 'discord':
      if (!secrets.webhookUrl) throw invalid('settings.webhookUrl', 'expected the webhook URL');
      return;
    case 'telegram':
      if (!secrets.botToken) throw invalid('settings.botToken', 'expected the bot token');
      return;
    case 'webhook':
      if (!secrets.url) throw invalid('settings.url', 'expected the URL');
      if (settings.auth === 'bearer' && !secrets.token) throw invalid('settings.token', 'expected a token for bearer auth');
      if (settings.auth === 'basic' && (!settings.username || !secrets.password)) throw invalid(settings.username ? 'settings.password' : 'settings.username', 'expected a user name and password for basic auth');
      return;
  }
}

/** Channels and alerting settings in SQLite; their secrets in the keychain (one JSON entry per channel). */
export class AlertingStore {
  private readonly db: Db;
  private readonly secrets: SecretsService;

  constructor(deps: { db: Db; secrets: SecretsService }) {
    this.db = deps.db;
    this.secrets = deps.secrets;
  }

  private async secretsOf(row: Row): Promise<ChannelSecrets> {
    if (!row.secretRef) return {};
    const text = await this.secrets.require(row.secretRef, `Channel ${row.name}`);
    return ChannelSecrets.parse(JSON.parse(text));
  }

  private toChannel(row: Row, secrets: ChannelSecrets): Channel {
    const settings = ChannelSettings.parse(row.settings);
    return Channel.parse({
      id: row.id,
      name: row.name,
      kind: row.kind,
      severities: row.severities,
      settings,
      endpoint: endpointOf(settings, secrets),
      secretsSet: Object.keys(secrets).filter((k) => secrets[k as keyof ChannelSecrets]),
      createdAt: row.createdAt,
    });
  }

  private row(id: string): Row {
    const row = this.db.select().from(alertChannels).where(eq(alertChannels.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `id: no channel ${id}`);
    return row;
  }

  async list(): Promise<Channel[]> {
    const rows = this.db.select().from(alertChannels).all();
    return Promise.all(rows.map(async (row) => this.toChannel(row, await this.secretsOf(row).catch(() => ({})))));
  }

  /** Every channel with its secrets, for the config renderer only. */
  async forRender(): Promise<RenderChannel[]> {
    const rows = this.db.select().from(alertChannels).all();
    return Promise.all(
      rows.map(async (row) => ({ id: row.id, severities: row.severities as Severity[] | null, settings: ChannelSettings.parse(row.settings), secrets: await this.secretsOf(row) })),
    );
  }

  async create(input: CreateChannelInput): Promise<Channel> {
    const { settings, secrets } = split(input.settings);
    checkComplete(settings, secrets);
    const id = `ch_${randomBytes(8).toString('hex')}`;
    const ref = (await this.secrets.put(`Alert channel ${input.name}`, 'token', JSON.stringify(secrets))).ref;
    const row: Row = { id, name: input.name, kind: settings.kind, severities: input.severities, settings, secretRef: ref, createdAt: Date.now() };
    this.db.insert(alertChannels).values(row).run();
    return this.toChannel(row, secrets);
  }

  /** Secret fields left out or empty keep the stored ones (when the kind is unchanged). */
  async update(input: UpdateChannelInput): Promise<Channel> {
    const old = this.row(input.id);
    const { settings, secrets: given } = split(input.settings);
    const kept = old.kind === settings.kind ? await this.secretsOf(old) : {};
    const secrets: ChannelSecrets = { ...kept, ...given };
    for (const k of Object.keys(secrets)) if (!(SECRET_KEYS[settings.kind] as string[]).includes(k)) delete secrets[k as keyof ChannelSecrets];
    checkComplete(settings, secrets);
    const ref = old.secretRef ?? `s_${randomBytes(16).toString('hex')}`;
    await this.secrets.replace(ref, `Alert channel ${input.name}`, 'token', JSON.stringify(secrets));
    const row: Row = { ...old, name: input.name, kind: settings.kind, severities: input.severities, settings, secretRef: ref };
    this.db.update(alertChannels).set(row).where(eq(alertChannels.id, input.id)).run();
    return this.toChannel(row, secrets);
  }

  async remove(id: string): Promise<boolean> {
    const row = this.db.select().from(alertChannels).where(eq(alertChannels.id, id)).get();
    if (!row) return false;
    this.db.delete(alertChannels).where(eq(alertChannels.id, id)).run();
    if (row.secretRef) await this.secrets.remove(row.secretRef);
    return true;
  }

  exists(id: string): boolean {
    return !!this.db.select({ id: alertChannels.id }).from(alertChannels).where(eq(alertChannels.id, id)).get();
  }

  serverChannels(serverId: string): string[] | null {
    return this.db.select().from(alertServers).where(eq(alertServers.serverId, serverId)).get()?.channelIds ?? null;
  }

  setServerChannels(serverId: string, channelIds: string[] | null): void {
    for (const [i, id] of (channelIds ?? []).entries()) if (!this.exists(id)) throw invalid(`channelIds[${i}]`, `expected an existing channel, ${id} is not one`);
    this.db.insert(alertServers).values({ serverId, channelIds }).onConflictDoUpdate({ target: alertServers.serverId, set: { channelIds } }).run();
  }

  seenAt(serverId: string): number | null {
    return this.db.select().from(alertServers).where(eq(alertServers.serverId, serverId)).get()?.seenAt ?? null;
  }

  markSeen(serverId: string, at: number): void {
    this.db.insert(alertServers).values({ serverId, channelIds: null, seenAt: at }).onConflictDoUpdate({ target: alertServers.serverId, set: { seenAt: at } }).run();
  }

  private stored(): StoredSettings {
    const row = this.db.select().from(settingsTable).where(eq(settingsTable.key, SETTINGS_KEY)).get();
    const parsed = StoredSettings.safeParse(row?.value ?? {});
    return parsed.success ? parsed.data : StoredSettings.parse({});
  }

  private save(value: StoredSettings): void {
    this.db.insert(settingsTable).values({ key: SETTINGS_KEY, value, updatedAt: Date.now() }).onConflictDoUpdate({ target: settingsTable.key, set: { value, updatedAt: Date.now() } }).run();
  }

  settings(): AlertingSettings {
    const s = this.stored();
    return AlertingSettings.parse({
      watchdogSet: !!s.watchdogRef,
      watchdogHost: s.watchdogHost,
      groupWaitSeconds: s.groupWaitSeconds,
      groupIntervalSeconds: s.groupIntervalSeconds,
      repeatIntervalSeconds: s.repeatIntervalSeconds,
    });
  }

  intervals(): AlertIntervals {
    const { groupWaitSeconds, groupIntervalSeconds, repeatIntervalSeconds } = this.stored();
    return { groupWaitSeconds, groupIntervalSeconds, repeatIntervalSeconds };
  }

  async watchdogUrl(): Promise<string | null> {
    const ref = this.stored().watchdogRef;
    return ref ? this.secrets.require(ref, 'The watchdog URL') : null;
  }

  async updateSettings(patch: { watchdogUrl?: string; groupWaitSeconds?: number; groupIntervalSeconds?: number; repeatIntervalSeconds?: number }): Promise<AlertingSettings> {
    const s = this.stored();
    const next: StoredSettings = {
      ...s,
      groupWaitSeconds: patch.groupWaitSeconds ?? s.groupWaitSeconds,
      groupIntervalSeconds: patch.groupIntervalSeconds ?? s.groupIntervalSeconds,
      repeatIntervalSeconds: patch.repeatIntervalSeconds ?? s.repeatIntervalSeconds,
    };
    if (patch.watchdogUrl === '') {
      if (s.watchdogRef) await this.secrets.remove(s.watchdogRef);
      next.watchdogRef = null;
      next.watchdogHost = null;
    } else if (patch.watchdogUrl !== undefined) {
      const ref = s.watchdogRef ?? `s_${randomBytes(16).toString('hex')}`;
      await this.secrets.replace(ref, 'Watchdog URL (dead man’s switch)', 'token', patch.watchdogUrl);
      next.watchdogRef = ref;
      next.watchdogHost = hostOf(patch.watchdogUrl);
    }
    this.save(next);
    return this.settings();
  }
}
