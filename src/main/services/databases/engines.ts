import type { DatabaseEngine } from '../../../shared/contract/databases.ts';
import { ENGINE_CATALOGUE, type EngineInfo } from '../../../shared/contract/engines.ts';

/**
 * What OpenPanel needs to know about an engine's official image: the catalogue the UI shows too (name, image,
 * default version, port, dump kind) plus its env/volume contract and its tools.
 */
export interface EngineSpec extends EngineInfo {
  dataDir: string;
  /** The user the generated password belongs to (the engine's superuser, as POSTGRES_USER is for PostgreSQL). */
  username: string;
  /** Container environment of the official image (credentials, first database). */
  env(database: string, username: string, password: string): string[];
  /** Command of the official image (Redis takes its password as a server argument); null = the image's default. */
  cmd(password: string): string[] | null;
  /** Connection URL; host/port are where the client connects. */
  url(opts: { username: string; password: string; host: string; port: number; database: string }): string;
  /** A readiness probe run in the container: exit 0 and stdout matching `ok` once the real server answers over TCP. */
  probe(database: string, username: string): { cmd: string[]; env: (password: string) => string[]; ok: RegExp };
  /** Prints the server version (run in the container). */
  version(database: string, username: string): { cmd: string[]; env: (password: string) => string[]; parse(out: string): string };
}

const auth = (u: string, p: string) => `${encodeURIComponent(u)}:${encodeURIComponent(p)}`;

/**
 * The MySQL family: `mariadb:11` (clients `mariadb`, `mariadb-dump`) and `mysql:8` (`mysql`, `mysqldump`).
 * Both images create `<MYSQL|MARIADB>_DATABASE` and a root user reachable from any host with `*_ROOT_PASSWORD`;
 * during their first-start init they run a temporary server without networking, so a TCP query is the probe.
 */
function mysqlFamily(engine: 'mariadb' | 'mysql'): EngineSpec {
  const client = engine === 'mariadb' ? 'mariadb' : 'mysql';
  const envPrefix = engine === 'mariadb' ? 'MARIADB' : 'MYSQL';
  return {
    ...ENGINE_CATALOGUE[engine],
    dataDir: '/var/lib/mysql',
    username: 'root',
    env: (database, _u, password) => [`${envPrefix}_ROOT_PASSWORD=${password}`, `${envPrefix}_DATABASE=${database}`],
    cmd: () => null,
    url: (opts) => `mysql://${auth(opts.username, opts.password)}@${opts.host}:${opts.port}/${opts.database}`,
    probe: (database, username) => ({
      cmd: [client, '--protocol=TCP', '-h', '127.0.0.1', '-u', username, '-N', '-B', '-D', database, '-e', 'select 1'],
      env: (p) => [`MYSQL_PWD=${p}`],
      ok: /^1$/m,
    }),
    version: (database, username) => ({
      cmd: [client, '--protocol=TCP', '-h', '127.0.0.1', '-u', username, '-N', '-B', '-D', database, '-e', 'select version()'],
      env: (p) => [`MYSQL_PWD=${p}`],
      parse: (out) => out.trim(),
    }),
  };
}

export const ENGINES: Record<DatabaseEngine, EngineSpec> = {
  postgres: {
    ...ENGINE_CATALOGUE.postgres,
    dataDir: '/var/lib/postgresql/data',
    username: 'app',
    env: (database, username, password) => [`POSTGRES_PASSWORD=${password}`, `POSTGRES_USER=${username}`, `POSTGRES_DB=${database}`],
    cmd: () => null,
    url: (opts) => `postgresql://${auth(opts.username, opts.password)}@${opts.host}:${opts.port}/${opts.database}`,
    // pg_isready answers during the first-start init too; the query through the socket confirms the real server
    // (the init server listens on the socket only after the entrypoint restarted it for real).
    probe: (database, username) => ({ cmd: ['sh', '-c', 'pg_isready -h 127.0.0.1 -U "$0" -d "$1" >/dev/null && psql -U "$0" -d "$1" -At -c "select 1"', username, database], env: () => [], ok: /^1$/m }),
    version: (database, username) => ({ cmd: ['psql', '-U', username, '-d', database, '-At', '-c', 'show server_version'], env: () => [], parse: (out) => out.trim() }),
  },
  mariadb: mysqlFamily('mariadb'),
  mysql: mysqlFamily('mysql'),
  /**
   * `redis:7`: no credentials by environment; the documented way is server arguments (`redis-server --requirepass`).
   * Data in /data (RDB snapshots with the image's default save points). Clients authenticate as `default`.
   */
  redis: {
    ...ENGINE_CATALOGUE.redis,
    dataDir: '/data',
    username: 'default',
    env: () => [],
    cmd: (password) => ['redis-server', '--requirepass', password],
    url: (opts) => `redis://${auth(opts.username, opts.password)}@${opts.host}:${opts.port}/0`,
    probe: () => ({ cmd: ['redis-cli', '-h', '127.0.0.1', '--no-auth-warning', 'ping'], env: (p) => [`REDISCLI_AUTH=${p}`], ok: /^PONG$/m }),
    version: () => ({
      cmd: ['redis-cli', '-h', '127.0.0.1', '--no-auth-warning', 'info', 'server'],
      env: (p) => [`REDISCLI_AUTH=${p}`],
      parse: (out) => /redis_version:(\S+)/.exec(out)?.[1] ?? out.trim().slice(0, 40),
    }),
  },
  /**
   * `mongo:7`: MONGO_INITDB_ROOT_USERNAME/PASSWORD create a root user in `admin`, MONGO_INITDB_DATABASE the first
   * database; data in /data/db. Not exercised by the tests here (no MongoDB package in Debian 12 to build a stand-in).
   */
  mongo: {
    ...ENGINE_CATALOGUE.mongo,
    dataDir: '/data/db',
    username: 'app',
    env: (database, username, password) => [`MONGO_INITDB_ROOT_USERNAME=${username}`, `MONGO_INITDB_ROOT_PASSWORD=${password}`, `MONGO_INITDB_DATABASE=${database}`],
    cmd: () => null,
    url: (opts) => `mongodb://${auth(opts.username, opts.password)}@${opts.host}:${opts.port}/${opts.database}?authSource=admin`,
    probe: (database, username) => ({
      cmd: ['sh', '-c', 'mongosh --quiet --host 127.0.0.1 -u "$0" -p "$OP_PASSWORD" --authenticationDatabase admin "$1" --eval "db.runCommand({ ping: 1 }).ok"', username, database],
      env: (p) => [`OP_PASSWORD=${p}`],
      ok: /^1$/m,
    }),
    version: (database, username) => ({
      cmd: ['sh', '-c', 'mongosh --quiet --host 127.0.0.1 -u "$0" -p "$OP_PASSWORD" --authenticationDatabase admin "$1" --eval "db.version()"', username, database],
      env: (p) => [`OP_PASSWORD=${p}`],
      parse: (out) => out.trim(),
    }),
  },
};

export function engineOf(engine: string): EngineSpec {
  const spec = ENGINES[engine as DatabaseEngine];
  if (!spec) throw new Error(`unknown database engine ${engine}`);
  return spec;
}
