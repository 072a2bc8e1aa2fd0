import { describe, expect, it } from 'vitest';
import { ENGINES, engineOf } from './engines.ts';

describe('database engines: the official images contracts', () => {
  it('maps each engine to its official image, data directory, port and credential variables', () => {
    const c = (e: keyof typeof ENGINES) => {
      const s = ENGINES[e];
      return { image: `${s.repo}:${s.defaultVersion}`, dataDir: s.dataDir, port: s.port, env: s.env('shop', s.username, 'p@ss'), cmd: s.cmd('p@ss') };
    };
    expect(c('postgres')).toEqual({ image: 'postgres:16', dataDir: '/var/lib/postgresql/data', port: 5432, env: ['POSTGRES_PASSWORD=p@ss', 'POSTGRES_USER=app', 'POSTGRES_DB=shop'], cmd: null });
    expect(c('mariadb')).toEqual({ image: 'mariadb:11', dataDir: '/var/lib/mysql', port: 3306, env: ['MARIADB_ROOT_PASSWORD=p@ss', 'MARIADB_DATABASE=shop'], cmd: null });
    expect(c('mysql')).toEqual({ image: 'mysql:8', dataDir: '/var/lib/mysql', port: 3306, env: ['MYSQL_ROOT_PASSWORD=p@ss', 'MYSQL_DATABASE=shop'], cmd: null });
    expect(c('redis')).toEqual({ image: 'redis:7', dataDir: '/data', port: 6379, env: [], cmd: ['redis-server', '--requirepass', 'p@ss'] });
    expect(c('mongo')).toEqual({
      image: 'mongo:7',
      dataDir: '/data/db',
      port: 27017,
      env: ['MONGO_INITDB_ROOT_USERNAME=app', 'MONGO_INITDB_ROOT_PASSWORD=p@ss', 'MONGO_INITDB_DATABASE=shop'],
      cmd: null,
    });
  });

  it('builds connection URLs with the credentials percent-encoded', () => {
    const o = { password: 'a/b:c@d', host: 'shop', database: 'shop' };
    expect(ENGINES.postgres.url({ ...o, username: 'app', port: 5432 })).toBe('postgresql://app:a%2Fb%3Ac%40d@shop:5432/shop');
    expect(ENGINES.mariadb.url({ ...o, username: 'root', port: 3306 })).toBe('mysql://root:a%2Fb%3Ac%40d@shop:3306/shop');
    expect(ENGINES.redis.url({ ...o, username: 'default', port: 6379, database: '0' })).toBe('redis://default:a%2Fb%3Ac%40d@shop:6379/0');
    expect(ENGINES.mongo.url({ ...o, username: 'app', port: 27017 })).toBe('mongodb://app:a%2Fb%3Ac%40d@shop:27017/shop?authSource=admin');
  });

  it('hands the password to probes and version queries in the variable their client reads, and refuses unknown engines', () => {
    // What the service passes as the exec's Env. That no password is in any exec's argv is checked on the real
    // Docker events of data-engines.test.ts (the argv cannot be judged here: these builders never see the password).
    const want: Record<keyof typeof ENGINES, string[]> = {
      postgres: [],
      mariadb: ['MYSQL_PWD=pw 1$"x'],
      mysql: ['MYSQL_PWD=pw 1$"x'],
      redis: ['REDISCLI_AUTH=pw 1$"x'],
      mongo: ['OP_PASSWORD=pw 1$"x'],
    };
    for (const e of Object.keys(ENGINES) as (keyof typeof ENGINES)[]) {
      const spec = ENGINES[e];
      expect(spec.probe('shop', spec.username).env('pw 1$"x'), e).toEqual(want[e]);
      expect(spec.version('shop', spec.username).env('pw 1$"x'), e).toEqual(want[e]);
    }
    // mongosh takes the password only as an argument: the container's shell expands it there, from the environment.
    expect(ENGINES.mongo.probe('shop', 'app').cmd).toEqual(['sh', '-c', expect.stringContaining('-p "$OP_PASSWORD"'), 'app', 'shop']);
    expect(ENGINES.mariadb.probe('shop', 'root').cmd[0]).toBe('mariadb');
    expect(ENGINES.mysql.probe('shop', 'root').cmd[0]).toBe('mysql');
    expect(() => engineOf('oracle')).toThrow(/unknown database engine/);
  });
});
