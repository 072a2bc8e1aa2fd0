import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Registry } from '../../../shared/contract/registry.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { registries } from '../db/schema.ts';

export type RegistryRow = Omit<typeof registries.$inferSelect, 'trust'> & { trust: string[] };

const Trust = z.array(z.string());

function read(row: typeof registries.$inferSelect): RegistryRow {
  const trust = Trust.safeParse(row.trust);
  return { ...row, trust: trust.success ? trust.data : [] };
}

/** Registry rows: names, addresses, user names and keychain references. Passwords and the CA key never come here. */
export class RegistryStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  list(): RegistryRow[] {
    return this.db.select().from(registries).orderBy(asc(registries.name)).all().map(read);
  }

  get(id: string): RegistryRow {
    const row = this.db.select().from(registries).where(eq(registries.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `registryId: no registry ${id}`);
    return read(row);
  }

  byName(name: string): RegistryRow | undefined {
    const row = this.db.select().from(registries).where(eq(registries.name, name)).get();
    return row ? read(row) : undefined;
  }

  insert(row: RegistryRow): void {
    this.db.insert(registries).values(row).run();
  }

  setTrust(id: string, trust: string[]): void {
    this.db.update(registries).set({ trust }).where(eq(registries.id, id)).run();
  }

  delete(id: string): void {
    this.db.delete(registries).where(eq(registries.id, id)).run();
  }
}

export function view(row: RegistryRow): Registry {
  return { id: row.id, name: row.name, kind: row.kind, host: row.host, serverId: row.serverId, clusterId: row.clusterId, trust: row.trust, username: row.username, caCertificate: row.caCert, createdAt: row.createdAt };
}
