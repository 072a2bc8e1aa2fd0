import { existsSync, readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { ServerSettings } from '../../../shared/contract/servers.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { servers } from '../db/schema.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { SshAuth } from '../ssh/connection.ts';
import type { ServerConnectInfo } from '../ssh/pool.ts';

export type ServerRow = typeof servers.$inferSelect;

/** A server's stored settings, checked; a row from an older version gets the defaults for what it lacks. */
export function settingsOf(row: ServerRow): ServerSettings {
  const parsed = ServerSettings.safeParse(row.settings);
  return parsed.success ? parsed.data : ServerSettings.parse({});
}

/**
 * What the connection pool and Docker need to reach a server, read from its record: built before them, so the pool
 * and Docker get it at construction (the servers service, which uses both, comes after).
 */
export class ServerDirectory {
  private readonly db: Db;
  private readonly secrets: SecretsService;

  constructor(deps: { db: Db; secrets: SecretsService }) {
    this.db = deps.db;
    this.secrets = deps.secrets;
  }

  row(id: string): ServerRow {
    const row = this.db.select().from(servers).where(eq(servers.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `id: no server with id "${id}"`);
    return row;
  }

  exists(id: string): boolean {
    return !!this.db.select({ id: servers.id }).from(servers).where(eq(servers.id, id)).get();
  }

  /** What the pool needs to connect: endpoint, jump, and credentials fetched from the SecretStore only when connecting. */
  async describe(id: string): Promise<ServerConnectInfo> {
    const row = this.row(id);
    const settings = settingsOf(row);
    return {
      label: `${row.username}@${row.host}:${row.port}`,
      endpoint: { host: row.host, port: row.port, username: row.username },
      jumpServerId: row.jumpServerId,
      maxSessions: settings.maxSessions,
      resolveAuth: () => this.resolveAuth(row),
    };
  }

  async dockerSocket(id: string): Promise<string> {
    return settingsOf(this.row(id)).dockerSocket;
  }

  private async resolveAuth(row: ServerRow): Promise<SshAuth> {
    switch (row.authMethod) {
      case 'key': {
        let privateKey: string | Buffer;
        if (row.keyPath) {
          if (!existsSync(row.keyPath)) throw new AppError('AUTH_FAILED', `keyPath: the key file ${row.keyPath} no longer exists`);
          privateKey = readFileSync(row.keyPath);
        } else privateKey = await this.secrets.require(row.secretRef ?? '', 'privateKey');
        const passphrase = row.passphraseRef ? await this.secrets.require(row.passphraseRef, 'passphrase') : undefined;
        return { privateKey, ...(passphrase ? { passphrase } : {}) };
      }
      case 'password':
        return { password: await this.secrets.require(row.secretRef ?? '', 'password') };
      case 'agent': {
        const agent = process.platform === 'win32' ? 'pageant' : process.env.SSH_AUTH_SOCK;
        if (!agent) throw new AppError('AUTH_FAILED', 'agent: no ssh-agent is running for OpenPanel (SSH_AUTH_SOCK is not set)');
        return { agent };
      }
    }
  }
}
