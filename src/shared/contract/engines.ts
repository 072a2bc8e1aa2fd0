import type { DatabaseEngine } from './databases.ts';

/** What the app and the UI both show about a database engine; behaviour (env, probes, URLs) is in main's engines.ts. */
export interface EngineInfo {
  engine: DatabaseEngine;
  label: string;
  /** Official image repository on Docker Hub (`<repo>:<version>`), mappable per server. */
  repo: string;
  defaultVersion: string;
  /** The port the engine listens on inside its container. */
  port: number;
  /** File extension of a backup dump. */
  dumpExt: string;
  /** A backup is the whole instance (restored into another, empty database), not one database. */
  wholeInstance: boolean;
}

/** The engine catalogue, in the order the UI offers them. */
export const ENGINE_CATALOGUE: Record<DatabaseEngine, EngineInfo> = {
  postgres: { engine: 'postgres', label: 'PostgreSQL', repo: 'postgres', defaultVersion: '16', port: 5432, dumpExt: 'sql', wholeInstance: false },
  mariadb: { engine: 'mariadb', label: 'MariaDB', repo: 'mariadb', defaultVersion: '11', port: 3306, dumpExt: 'sql', wholeInstance: false },
  mysql: { engine: 'mysql', label: 'MySQL', repo: 'mysql', defaultVersion: '8', port: 3306, dumpExt: 'sql', wholeInstance: false },
  redis: { engine: 'redis', label: 'Redis', repo: 'redis', defaultVersion: '7', port: 6379, dumpExt: 'rdb', wholeInstance: true },
  mongo: { engine: 'mongo', label: 'MongoDB', repo: 'mongo', defaultVersion: '7', port: 27017, dumpExt: 'archive', wholeInstance: false },
};

export const ENGINE_LIST: readonly EngineInfo[] = Object.values(ENGINE_CATALOGUE);

/** The engine's display name, or the raw value for one this version does not know. */
export function engineLabel(engine: string): string {
  return Object.hasOwn(ENGINE_CATALOGUE, engine) ? ENGINE_CATALOGUE[engine as DatabaseEngine].label : engine;
}
