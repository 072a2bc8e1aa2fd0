import { afterEach, describe, expect, it } from 'vitest';
import { AssistantStore } from '../assistant/store.ts';
import { DeployStore } from '../deploy/store.ts';
import { SettingsService } from '../settings/service.ts';
import { openStorage, type Storage } from './index.ts';
import { dataServerImages, servers, shipSettings } from './schema.ts';

// JSON columns are typed in the schema (mode 'json'); the bytes in SQLite must stay what earlier versions wrote.
describe('JSON columns', () => {
  let storage: Storage;
  afterEach(() => storage.close());
  const raw = (query: string, ...args: unknown[]) => storage.sqlite.prepare(query).pluck().get(...args);

  it('reads rows written as JSON text by earlier versions', () => {
    storage = openStorage(':memory:');
    const scope = { kind: 'server' as const, serverId: 's1' };
    storage.sqlite.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('app', ?, 1)").run(JSON.stringify({ theme: 'dark', sampleIntervalSec: 7 }));
    storage.sqlite.prepare("INSERT INTO ai_conversations (id, title, scope, consent, created_at, updated_at) VALUES ('c1', 't', ?, ?, 1, 1), ('c2', 't', ?, '[]', 2, 2)").run(JSON.stringify(scope), JSON.stringify(['gemini']), JSON.stringify({ kind: 'general' }));
    const config = { name: 'web', source: { kind: 'upload', path: '/x' }, domains: [{ host: 'a.test', tls: false }] };
    storage.sqlite.prepare("INSERT INTO apps (id, server_id, name, config, created_at, updated_at) VALUES ('a1', 's1', 'web', ?, 1, 1)").run(JSON.stringify(config));

    const settings = new SettingsService(storage.db).get();
    expect(settings.theme).toBe('dark');
    expect(settings.sampleIntervalSec).toBe(7);
    const conversations = new AssistantStore(storage.db).list(scope);
    expect(conversations.map((c) => [c.id, c.scope, c.consent])).toEqual([['c1', scope, ['gemini']]]);
    const store = new DeployStore(storage.db);
    const row = store.app('a1');
    expect(store.config(row)).toEqual(config);
    expect(row.envRefs).toEqual({}); // the SQL default '{}'
  });

  it('writes JSON text, byte for byte what JSON.stringify gives', () => {
    storage = openStorage(':memory:');
    const next = new SettingsService(storage.db).update({ theme: 'light' });
    expect(raw("SELECT value FROM settings WHERE key = 'app'")).toBe(JSON.stringify(next));
    const ai = new AssistantStore(storage.db);
    const c = ai.create('t', { kind: 'general' });
    ai.setConsent(c.id, 'groq', true);
    expect(raw('SELECT scope FROM ai_conversations WHERE id = ?', c.id)).toBe('{"kind":"general"}');
    expect(raw('SELECT consent FROM ai_conversations WHERE id = ?', c.id)).toBe('["groq"]');
    storage.db.insert(dataServerImages).values({ serverId: 's1', images: { 'postgres:16': 'mirror/postgres:16' } }).run();
    expect(raw('SELECT images FROM data_server_images')).toBe('{"postgres:16":"mirror/postgres:16"}');
    storage.db.insert(shipSettings).values({ serverId: 's1', updatedAt: 1 }).run();
    expect(raw('SELECT settings || dns_env_refs FROM ship_settings')).toBe('{}{}');
    storage.db.insert(servers).values({ id: 'x', name: 'x', host: 'h', username: 'u', authMethod: 'agent', createdAt: 1, updatedAt: 1 }).run();
    expect(raw('SELECT settings FROM servers')).toBe('{}');
  });
});
