import type { DatabaseEngine } from '../../../../shared/contract/databases.ts';
import { mongoDriver } from './mongo.ts';
import { mysqlDriver } from './mysql.ts';
import { postgresDriver } from './postgres.ts';
import { redisDriver } from './redis.ts';
import type { BackupDriver } from './types.ts';

/** How each engine's backups are restored and verified (what it dumps is in backup.sh, per KIND). */
export const DRIVERS: Record<DatabaseEngine, BackupDriver> = {
  postgres: postgresDriver,
  mariadb: mysqlDriver,
  mysql: mysqlDriver,
  redis: redisDriver,
  mongo: mongoDriver,
};

export function driverOf(engine: string): BackupDriver {
  const driver = DRIVERS[engine as DatabaseEngine];
  if (!driver) throw new Error(`unknown database engine ${engine}`);
  return driver;
}
