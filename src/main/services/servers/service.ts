import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import ssh2 from 'ssh2';
import { ServerSettings, type Server, type ServerAuthInput, type ServerCreate, type TestStep } from '../../../shared/contract/servers.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { servers } from '../db/schema.ts';
import type { DockerService } from '../docker/service.ts';
import { describeTransport } from '../docker/agent.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { HostKeyService } from '../ssh/host-keys.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { settingsOf } from './directory.ts';
import { readFacts } from './facts.ts';
import { entryMatches, parseKnownHosts } from '../ssh/known-hosts.ts';

type Row = typeof servers.$inferSelect;

export interface ServerUpdateInput {
  id: string;
  name?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  username?: string | undefined;
  auth?: ServerAuthInput | undefined;
  keyPassphrase?: string | null | undefined;
  jumpServerId?: string | null | undefined;
  settings?: Partial<ServerSettings> | undefined;
}

export interface ImportedSecrets {
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  password?: string | undefined;
}

export interface ImportedServer {
  existingId: string | null;
  name: string;
  host: string;
  port: number;
  username: string;
  authMethod: 'key' | 'password' | 'agent';
  keyPath: string | null;
  jumpServerId: string | null;
  settings: Partial<ServerSettings>;
  secrets: ImportedSecrets;
}

/** Servers as data: records in SQLite, credentials in the SecretStore, connections in the pool. */
export class ServersService {
  private readonly db: Db;
  private readonly secrets: SecretsService;
  private readonly hostKeys: HostKeyService;
  readonly pool: ConnectionPool;
  readonly docker: DockerService;

  constructor(deps: { db: Db; secrets: SecretsService; hostKeys: HostKeyService; pool: ConnectionPool; docker: DockerService }) {
    this.db = deps.db;
    this.secrets = deps.secrets;
    this.hostKeys = deps.hostKeys;
    this.pool = deps.pool;
    this.docker = deps.docker;
  }

  private row(id: string): Row {
    const row = this.db.select().from(servers).where(eq(servers.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `id: no server with id "${id}"`);
    return row;
  }

  private toServer(row: Row): Server {
    return {
      id: row.id,
      name: row.name,
      host: row.host,
      port: row.port,
      username: row.username,
      authMethod: row.authMethod,
      keyPath: row.keyPath,
      hasStoredKey: row.authMethod === 'key' && !!row.secretRef,
      hasPassphrase: !!row.passphraseRef,
      jumpServerId: row.jumpServerId,
      settings: this.settingsOf(row),
      hostKeys: this.hostKeys.pins(row.host, row.port).map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint, source: p.source, pinnedAt: p.pinnedAt })),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  private settingsOf(row: Row): ServerSettings {
    return settingsOf(row);
  }

  list(): Server[] {
    return this.db.select().from(servers).all().map((r) => this.toServer(r)).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(id: string): Server {
    return this.toServer(this.row(id));
  }

  private assertNameFree(name: string, exceptId?: string): void {
    const other = this.db.select().from(servers).where(eq(servers.name, name)).get();
    if (other && other.id !== exceptId) throw new AppError('CONFLICT', `name: a server named "${name}" already exists`);
  }

  private assertJump(jumpServerId: string | null, selfId?: string): void {
    if (!jumpServerId) return;
    let cursor: string | null = jumpServerId;
    for (let depth = 0; cursor; depth++) {
      if (cursor === selfId || depth > 8) throw new AppError('INPUT_INVALID', 'jumpServerId: the jump chain would loop back to this server');
      const next = this.db.select().from(servers).where(eq(servers.id, cursor)).get();
      if (!next) throw new AppError('INPUT_INVALID', `jumpServerId: no server with id "${cursor}"`);
      cursor = next.jumpServerId;
    }
  }

  /** Checks a key before anything is stored: readable, a private key, and the passphrase right. */
  private validateKey(auth: Extract<ServerAuthInput, { method: 'key' }>): void {
    let material: string | Buffer;
    if (auth.keyPath) {
      if (!existsSync(auth.keyPath)) throw new AppError('INPUT_INVALID', `auth.keyPath: no file at ${auth.keyPath}`);
      material = readFileSync(auth.keyPath);
    } else material = auth.privateKey!;
    const parsed = ssh2.utils.parseKey(material, auth.passphrase);
    const err = parsed instanceof Error ? parsed : Array.isArray(parsed) && parsed[0] instanceof Error ? parsed[0] : null;
    if (!err) return;
    if (/no passphrase given/i.test(err.message)) return; // encrypted: the passphrase will be asked at connect time
    if (/passphrase|decrypt/i.test(err.message)) throw new AppError('INPUT_INVALID', 'auth.passphrase: wrong passphrase for this private key');
    throw new AppError('INPUT_INVALID', `auth.${auth.keyPath ? 'keyPath' : 'privateKey'}: not a private key OpenPanel can read (${err.message})`);
  }

  private async storeAuth(name: string, auth: ServerAuthInput, previous?: Row): Promise<Pick<Row, 'authMethod' | 'keyPath' | 'secretRef' | 'passphraseRef'>> {
    if (auth.method === 'key') this.validateKey(auth);
    const created: string[] = [];
    try {
      const put = async (label: string, kind: string, value: string) => {
        const ref = await this.secrets.put(label, kind, value);
        created.push(ref.ref);
        return ref.ref;
      };
      const next = {
        authMethod: auth.method,
        keyPath: auth.method === 'key' ? (auth.keyPath ?? null) : null,
        secretRef: auth.method === 'key' && auth.privateKey ? await put(`SSH key for ${name}`, 'private-key', auth.privateKey) : auth.method === 'password' ? await put(`SSH password for ${name}`, 'password', auth.password) : null,
        passphraseRef: auth.method === 'key' && auth.passphrase ? await put(`Key passphrase for ${name}`, 'passphrase', auth.passphrase) : null,
      };
      // Replace: the old secrets go only once the new ones are stored.
      if (previous) for (const ref of [previous.secretRef, previous.passphraseRef]) if (ref) await this.secrets.remove(ref);
      return next;
    } catch (e) {
      for (const ref of created) await this.secrets.remove(ref).catch(() => false);
      throw e;
    }
  }

  /** A new passphrase for the key already stored (checked against that key), or none. */
  private async replacePassphrase(name: string, row: Row, passphrase: string | null): Promise<Pick<Row, 'passphraseRef'>> {
    if (row.authMethod !== 'key') throw new AppError('INPUT_INVALID', `keyPassphrase: ${row.name} does not log in with a key`);
    if (passphrase !== null) {
      const privateKey = row.keyPath ? undefined : ((row.secretRef && (await this.secrets.get(row.secretRef))) ?? undefined);
      if (!row.keyPath && !privateKey) throw new AppError('INPUT_INVALID', `keyPassphrase: the stored key of ${row.name} is missing from the keychain; give the key again`);
      try {
        this.validateKey({ method: 'key', ...(row.keyPath ? { keyPath: row.keyPath } : { privateKey }), passphrase });
      } catch (e) {
        if (e instanceof AppError && e.message.startsWith('auth.passphrase:')) throw new AppError('INPUT_INVALID', e.message.replace('auth.passphrase:', 'keyPassphrase:'));
        throw e;
      }
    }
    const passphraseRef = passphrase === null ? null : (await this.secrets.put(`Key passphrase for ${name}`, 'passphrase', passphrase)).ref;
    if (row.passphraseRef) await this.secrets.remove(row.passphraseRef);
    return { passphraseRef };
  }

  async create(input: ServerCreate): Promise<Server> {
    this.assertNameFree(input.name);
    this.assertJump(input.jumpServerId);
    const id = `srv_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const auth = await this.storeAuth(input.name, input.auth);
    const now = Date.now();
    this.db
      .insert(servers)
      .values({ id, name: input.name, host: input.host, port: input.port, username: input.username, ...auth, jumpServerId: input.jumpServerId, settings: ServerSettings.parse(input.settings ?? {}), createdAt: now, updatedAt: now })
      .run();
    return this.get(id);
  }

  async update(input: ServerUpdateInput): Promise<Server> {
    const row = this.row(input.id);
    if (input.name !== undefined) this.assertNameFree(input.name, row.id);
    if (input.jumpServerId !== undefined) this.assertJump(input.jumpServerId, row.id);
    const auth = input.auth ? await this.storeAuth(input.name ?? row.name, input.auth, row) : input.keyPassphrase !== undefined ? await this.replacePassphrase(input.name ?? row.name, row, input.keyPassphrase) : {};
    const settings = input.settings ? ServerSettings.parse({ ...this.settingsOf(row), ...input.settings }) : row.settings;
    this.db
      .update(servers)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.host !== undefined ? { host: input.host } : {}),
        ...(input.port !== undefined ? { port: input.port } : {}),
        ...(input.username !== undefined ? { username: input.username } : {}),
        ...(input.jumpServerId !== undefined ? { jumpServerId: input.jumpServerId } : {}),
        ...auth,
        settings,
        updatedAt: Date.now(),
      })
      .where(eq(servers.id, row.id))
      .run();
    this.disconnect(row.id);
    return this.get(row.id);
  }

  /** Removes the server, its secrets and its connection. Host-key pins stay unless no other server uses that address. */
  async remove(id: string): Promise<boolean> {
    const row = this.row(id);
    const dependents = this.db.select().from(servers).where(eq(servers.jumpServerId, id)).all();
    if (dependents.length) throw new AppError('CONFLICT', `id: ${dependents.map((d) => d.name).join(', ')} connect through this server; change their jump host first`);
    this.disconnect(id);
    this.db.delete(servers).where(eq(servers.id, id)).run();
    for (const ref of [row.secretRef, row.passphraseRef]) if (ref) await this.secrets.remove(ref);
    const others = this.db.select().from(servers).all().filter((r) => r.host === row.host && r.port === row.port);
    if (others.length === 0) this.hostKeys.forget(row.host, row.port);
    return true;
  }

  disconnect(id: string): void {
    this.docker.invalidate(id);
    this.pool.invalidate(id);
  }

  trustHostKey(id: string, keyType: string, fingerprint: string, replace: boolean): Server {
    const row = this.row(id);
    const pins = this.hostKeys.pins(row.host, row.port);
    if (pins.some((p) => p.keyType === keyType && p.fingerprint === fingerprint)) return this.get(id);
    if (pins.length && !replace) {
      throw new AppError('CONFLICT', `replace: ${row.host}:${row.port} already has a pinned key (${pins[0]!.fingerprint}); set replace to trust a new one`);
    }
    if (replace) this.hostKeys.forget(row.host, row.port);
    this.hostKeys.pin({ host: row.host, port: row.port, keyType, fingerprint, source: 'user' });
    this.disconnect(id);
    return this.get(id);
  }

  /** A fresh connection, step by step, as the "Test connection" button shows it. */
  async test(id: string): Promise<{ ok: boolean; steps: TestStep[] }> {
    const row = this.row(id);
    this.disconnect(id);
    const step = (sid: TestStep['id'], label: string, status: TestStep['status'], detail: string | null = null, errorCode: string | null = null, data: Record<string, unknown> | null = null): TestStep => ({ id: sid, label, status, detail, errorCode, data });
    const labels = { tcp: `TCP ${row.host}:${row.port}${row.jumpServerId ? ' (through the jump host)' : ''}`, hostKey: 'Host key', auth: `Authentication as ${row.username}`, docker: 'Docker API' };
    let conn;
    try {
      conn = await this.pool.acquire(id);
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('CONNECT_FAILED', errorMessage(e));
      const failedAt: TestStep['id'] = err.code === 'HOST_KEY_UNKNOWN' || err.code === 'HOST_KEY_CHANGED' ? 'hostKey' : err.code === 'AUTH_FAILED' ? 'auth' : 'tcp';
      const order: TestStep['id'][] = ['tcp', 'hostKey', 'auth', 'docker'];
      const at = order.indexOf(failedAt);
      return {
        ok: false,
        steps: order.map((sid, i) => (i < at ? step(sid, labels[sid], 'ok') : i === at ? step(sid, labels[sid], 'error', err.message, err.code, err.data ?? null) : step(sid, labels[sid], 'skipped'))),
      };
    }
    const pin = this.hostKeys.pins(row.host, row.port)[0];
    const steps = [step('tcp', labels.tcp, 'ok'), step('hostKey', labels.hostKey, 'ok', pin ? `${pin.keyType} ${pin.fingerprint}` : null), step('auth', labels.auth, 'ok', `sessions: up to ${conn.limiter.capacity}`)];
    try {
      const docker = await this.docker.client(id);
      const version = await docker.api.version();
      steps.push(step('docker', labels.docker, 'ok', `Docker ${version.Version} via ${describeTransport(docker.transport)}`));
      return { ok: true, steps };
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('DOCKER_UNAVAILABLE', errorMessage(e));
      steps.push(step('docker', labels.docker, 'error', err.message, err.code));
      return { ok: false, steps };
    }
  }

  async facts(id: string) {
    const conn = await this.pool.acquire(id);
    const base = await readFacts(conn);
    try {
      const docker = await this.docker.client(id);
      const v = await docker.api.version();
      return { ...base, dockerVersion: v.Version, dockerTransport: describeTransport(docker.transport) };
    } catch {
      return { ...base, dockerVersion: null, dockerTransport: null };
    }
  }

  /** Raw record and secret values of a server, for profile export (secrets only leave encrypted). */
  async exportRecord(id: string, withSecrets: boolean): Promise<{ row: Row; settings: ServerSettings; secrets: ImportedSecrets }> {
    const row = this.row(id);
    const secrets: ImportedSecrets = {};
    if (withSecrets) {
      if (row.authMethod === 'key' && row.secretRef) secrets.privateKey = (await this.secrets.get(row.secretRef)) ?? undefined;
      if (row.authMethod === 'password' && row.secretRef) secrets.password = (await this.secrets.get(row.secretRef)) ?? undefined;
      if (row.passphraseRef) secrets.passphrase = (await this.secrets.get(row.passphraseRef)) ?? undefined;
    }
    return { row, settings: this.settingsOf(row), secrets };
  }

  findByName(name: string): Server | null {
    const row = this.db.select().from(servers).where(eq(servers.name, name)).get();
    return row ? this.toServer(row) : null;
  }

  /**
   * Creates or overwrites a server from an imported profile. Credentials that were not in the profile are
   * left missing (the server then asks for them) rather than invented.
   */
  async upsertImported(rec: ImportedServer): Promise<Server> {
    this.assertJump(rec.jumpServerId, rec.existingId ?? undefined);
    const created: string[] = [];
    const put = async (label: string, kind: string, value: string | undefined) => {
      if (!value) return null;
      const ref = (await this.secrets.put(label, kind, value)).ref;
      created.push(ref);
      return ref;
    };
    try {
      const secretRef = rec.authMethod === 'key' ? await put(`SSH key for ${rec.name}`, 'private-key', rec.secrets.privateKey) : rec.authMethod === 'password' ? await put(`SSH password for ${rec.name}`, 'password', rec.secrets.password) : null;
      const passphraseRef = rec.authMethod === 'key' ? await put(`Key passphrase for ${rec.name}`, 'passphrase', rec.secrets.passphrase) : null;
      const values = { name: rec.name, host: rec.host, port: rec.port, username: rec.username, authMethod: rec.authMethod, keyPath: rec.keyPath, secretRef, passphraseRef, jumpServerId: rec.jumpServerId, settings: ServerSettings.parse(rec.settings), updatedAt: Date.now() };
      if (rec.existingId) {
        const old = this.row(rec.existingId);
        this.db.update(servers).set(values).where(eq(servers.id, rec.existingId)).run();
        for (const ref of [old.secretRef, old.passphraseRef]) if (ref) await this.secrets.remove(ref);
        this.disconnect(rec.existingId);
        return this.get(rec.existingId);
      }
      this.assertNameFree(rec.name);
      const id = `srv_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      this.db.insert(servers).values({ id, ...values, createdAt: Date.now() }).run();
      return this.get(id);
    } catch (e) {
      for (const ref of created) await this.secrets.remove(ref).catch(() => false);
      throw e;
    }
  }

  /** Pins keys from known_hosts for servers without a pin; differing pins are reported, never replaced. */
  importKnownHosts(text: string): { pinned: string[]; alreadyPinned: string[]; conflicts: string[] } {
    const entries = parseKnownHosts(text);
    const out = { pinned: [] as string[], alreadyPinned: [] as string[], conflicts: [] as string[] };
    for (const row of this.db.select().from(servers).all()) {
      const matching = entries.filter((e) => entryMatches(e, row.host, row.port));
      if (!matching.length) continue;
      const pins = this.hostKeys.pins(row.host, row.port);
      if (pins.length) {
        const agrees = matching.some((m) => pins.some((p) => p.keyType === m.keyType && p.fingerprint === m.fingerprint));
        const disagrees = matching.some((m) => pins.some((p) => p.keyType === m.keyType && p.fingerprint !== m.fingerprint));
        (disagrees && !agrees ? out.conflicts : out.alreadyPinned).push(row.name);
        continue;
      }
      for (const m of matching) this.hostKeys.pin({ host: row.host, port: row.port, keyType: m.keyType, fingerprint: m.fingerprint, source: 'known_hosts' });
      out.pinned.push(row.name);
    }
    return out;
  }

  readLocalSshConfig(): { path: string; text: string } {
    const path = join(homedir(), '.ssh', 'config');
    return { path, text: existsSync(path) ? readFileSync(path, 'utf8') : '' };
  }
}
