import { z } from 'zod';
import { base, Id, Timestamp } from './base.ts';

/** postgres:16, mariadb:11, mysql:8, redis:7, mongo:7 by default (official images, mappable per server). */
export const DatabaseEngine = z.enum(['postgres', 'mariadb', 'mysql', 'redis', 'mongo'], { message: 'expected one of postgres, mariadb, mysql, redis, mongo' });
export type DatabaseEngine = z.infer<typeof DatabaseEngine>;

/** Names of managed databases: also the container suffix, the volume suffix and the DNS name on the data network. */
export const DatabaseName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(40, 'expected at most 40 characters')
  .regex(/^[a-z][a-z0-9_]*$/, 'expected lowercase letters, digits or _ and a letter first, like shop_db');

const ImageRef = z
  .string()
  .trim()
  .min(1, 'expected an image reference')
  .max(255)
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/i, 'expected an image reference like postgres:16 or registry.example:5000/postgres:16');

export const ResourceLimits = z
  .object({
    memoryMb: z.number().int().min(32, 'expected at least 32 MB').max(1_048_576).nullable().default(null),
    cpus: z.number().min(0.1, 'expected at least 0.1 CPU').max(256).nullable().default(null),
  })
  .strict();
export type ResourceLimits = z.infer<typeof ResourceLimits>;

/** A database on a cluster: one Swarm task pinned to one node (its volume is local to that node). */
export const DatabaseCluster = z.object({
  clusterId: z.string(),
  /** The Swarm service (`op-db-<name>`); cluster apps reach the database by its name on `openpanel-cluster-apps`. */
  service: z.string(),
  nodeId: z.string(),
  /** Swarm's task state when it is not running (e.g. pending), else null. */
  taskState: z.string().nullable(),
  /** Why it is not running (Swarm's task error or message, e.g. no suitable node while the node is drained), else null. */
  reason: z.string().nullable(),
});
export type DatabaseCluster = z.infer<typeof DatabaseCluster>;

export const ManagedDatabase = z.object({
  id: z.string(),
  serverId: z.string(),
  engine: DatabaseEngine,
  name: z.string(),
  /** The image asked for (official by default) and the one really run after this server's image mapping. */
  image: z.string(),
  resolvedImage: z.string(),
  containerName: z.string(),
  containerId: z.string().nullable(),
  volume: z.string(),
  network: z.string(),
  /** Port published on the server's loopback only (used by the backup scheduler and port forwards). */
  hostPort: z.number().int(),
  username: z.string(),
  database: z.string(),
  limits: ResourceLimits,
  state: z.string(),
  version: z.string().nullable(),
  createdAt: Timestamp,
  /** Set for a database on a cluster: a Swarm service pinned to the node of `serverId`. */
  cluster: DatabaseCluster.nullable().optional(),
});
export type ManagedDatabase = z.infer<typeof ManagedDatabase>;

export const CreateDatabaseInput = z
  .object({
    serverId: Id,
    engine: DatabaseEngine.default('postgres'),
    name: DatabaseName,
    /** Image tag of the official image, e.g. 16 for postgres:16; default per engine (16, 11, 8, 7, 7). */
    version: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{0,40}$/i, 'expected a version tag like 16 or 16-bookworm').optional(),
    limits: ResourceLimits.default({ memoryMb: null, cpus: null }),
  })
  .strict();

/** A database on a cluster, pinned to the node of `serverId` (a member of `clusterId`). Redis is not offered on clusters yet. */
export const CreateClusterDatabaseInput = z
  .object({
    clusterId: Id,
    /** The member server (node) the database is pinned to; its volume lives there. */
    serverId: Id,
    engine: z.enum(['postgres', 'mariadb', 'mysql', 'mongo'], { message: 'expected one of postgres, mariadb, mysql, mongo (redis is not offered on a cluster yet)' }).default('postgres'),
    name: DatabaseName,
    version: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{0,40}$/i, 'expected a version tag like 16 or 16-bookworm').optional(),
    limits: ResourceLimits.default({ memoryMb: null, cpus: null }),
  })
  .strict();
export type CreateClusterDatabaseInput = z.input<typeof CreateClusterDatabaseInput>;

export const DatabaseConnection = z.object({
  /** For apps on the same server that join the data network. */
  internalUrl: z.string(),
  host: z.string(),
  port: z.number().int(),
  username: z.string(),
  password: z.string(),
  database: z.string(),
  network: z.string(),
});
export type DatabaseConnection = z.infer<typeof DatabaseConnection>;

export const ImageMapping = z.record(ImageRef, ImageRef);
export type ImageMapping = z.infer<typeof ImageMapping>;

const ById = z.object({ id: Id }).strict();

export const databases = {
  list: base.input(z.object({ serverId: Id.optional() }).strict()).output(z.array(ManagedDatabase)),
  get: base.input(ById).output(ManagedDatabase),
  create: base.meta({ mutating: true }).input(CreateDatabaseInput).output(ManagedDatabase),
  /** A database on a cluster, pinned to one node (Swarm service, replicas 1, a node.id constraint, a local volume). */
  createOnCluster: base.meta({ mutating: true }).input(CreateClusterDatabaseInput).output(ManagedDatabase),
  /** Moving a pinned database to another node: refused (CONFLICT), its volume is local to its node; back up and restore instead. */
  moveToNode: base.meta({ mutating: true }).input(z.object({ id: Id, serverId: Id }).strict()).output(ManagedDatabase),
  start: base.meta({ mutating: true }).input(ById).output(ManagedDatabase),
  stop: base.meta({ mutating: true }).input(ById).output(ManagedDatabase),
  restart: base.meta({ mutating: true }).input(ById).output(ManagedDatabase),
  setLimits: base.meta({ mutating: true }).input(z.object({ id: Id, limits: ResourceLimits }).strict()).output(ManagedDatabase),
  /**
   * Removes the container (and the volume when asked) and the password in the keychain. With `finalBackup`, every
   * backup job of the database runs first and nothing is removed unless all of them succeed. Its backup jobs stay
   * (disabled) so their backups can still be listed, downloaded and restored elsewhere.
   */
  remove: base
    .meta({ mutating: true })
    .input(z.object({ id: Id, removeVolume: z.boolean().default(false), finalBackup: z.boolean().default(false) }).strict())
    .output(z.object({ removed: z.boolean(), finalBackups: z.array(z.string()).describe('keys of the final backups made before the removal') })),
  connection: base.input(ById).output(DatabaseConnection),
  /** A local port forwarded over SSH to the database, for psql, mariadb, redis-cli, mongosh on this computer. */
  openLocal: base.meta({ mutating: true }).input(ById).output(z.object({ forwardId: z.string(), url: z.string(), localPort: z.number().int() })),
  /** Per-server image mapping (e.g. postgres:16 → a mirror or a local image). */
  images: base.input(z.object({ serverId: Id }).strict()).output(ImageMapping),
  setImages: base.meta({ mutating: true }).input(z.object({ serverId: Id, images: ImageMapping }).strict()).output(ImageMapping),
};
