import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { ResourceLimits } from '../../../shared/contract/databases.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { dataDatabases } from '../db/schema.ts';
import { engineOf, type EngineSpec } from './engines.ts';

type Row = typeof dataDatabases.$inferSelect;

/** The server's databases; a name one of them has is refused (CONFLICT naming the field). */
export function rowsFreeFor(db: Db, serverId: string, name: string): Row[] {
  const existing = db.select().from(dataDatabases).where(eq(dataDatabases.serverId, serverId)).all();
  if (existing.some((r) => r.name === name)) throw new AppError('CONFLICT', `name: a database named ${name} already exists on this server`);
  return existing;
}

/**
 * A new database's row, single-server or on a cluster: id, image, container and volume names from its name, the
 * engine's user and database; a fresh password. The caller stores the password and sets `passwordRef`.
 */
export function newRow(
  create: { serverId: string; engine: Row['engine']; name: string; version?: string | undefined; limits: ResourceLimits },
  place: { network: string; hostPort: number },
): { row: Row; spec: EngineSpec; password: string } {
  const spec = engineOf(create.engine);
  const row: Row = {
    id: `db_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    serverId: create.serverId,
    engine: create.engine,
    name: create.name,
    image: `${spec.repo}:${create.version ?? spec.defaultVersion}`,
    containerName: `op-db-${create.name}`,
    volume: `op-db-${create.name}-data`,
    network: place.network,
    hostPort: place.hostPort,
    username: spec.username,
    database: spec.wholeInstance ? '0' : create.name,
    passwordRef: '',
    limits: create.limits,
    createdAt: Date.now(),
  };
  return { row, spec, password: randomBytes(18).toString('base64url') };
}
