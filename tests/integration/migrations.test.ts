import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledMigrations, openStorage } from '../../src/main/services/db/index.ts';

describe('SQLite migrations', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('migrates a database created by the first release without losing rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openpanel-mig-'));
    dirs.push(dir);
    const file = join(dir, 'openpanel.db');
    const all = bundledMigrations();
    expect(all.length).toBeGreaterThanOrEqual(2);

    // An "old" database: only the first migration, with data in it.
    const old = openStorage(file, { migrations: all.slice(0, 1) });
    const insert = old.sqlite.prepare('INSERT INTO audit_log (at, actor, action, target, input, result, error_code, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < 50; i++) insert.run(1_700_000_000_000 + i, 'desktop', `test.action${i}`, null, '{}', 'ok', null, i);
    old.sqlite.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('app', '{\"theme\":\"dark\"}', 1)").run();
    expect(() => old.sqlite.prepare('SELECT * FROM servers').all()).toThrow(/no such table/);
    old.close();

    const upgraded = openStorage(file);
    expect(upgraded.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get()).toEqual({ n: 50 });
    expect(upgraded.sqlite.prepare("SELECT value FROM settings WHERE key='app'").get()).toEqual({ value: '{"theme":"dark"}' });
    expect(upgraded.sqlite.prepare('SELECT * FROM servers').all()).toEqual([]);
    expect(upgraded.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: all.length });
    expect(upgraded.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    upgraded.close();

    // Opening again applies nothing twice.
    const again = openStorage(file);
    expect(again.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: all.length });
    again.close();
  });
});
