import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../shared/contract/activity.ts';
import { dayOf, describeEntry, type Entity } from './describe.ts';

const entry = (action: string, target: string | null, input: unknown = null, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  id: 1, at: Date.now(), actor: 'web:127.0.0.1', action, target, input: input === null ? null : JSON.stringify(input), result: 'ok', errorCode: null, durationMs: 3, ...extra,
});

const entities = new Map<string, Entity>([
  ['srv_1', { kind: 'server', name: 'web-1', serverId: 'srv_1' }],
  ['app-1', { kind: 'app', name: 'shop', serverId: 'srv_1' }],
  ['db-1', { kind: 'database', name: 'orders', serverId: 'srv_1' }],
]);

describe('activity in words', () => {
  it('names entities instead of ids, with the server they live on', () => {
    expect(describeEntry(entry('apps.deploy', 'app-1', { id: 'app-1' }), entities)).toEqual({ text: 'Deployed app shop on web-1', domain: 'apps', serverId: 'srv_1', appId: 'app-1' });
    expect(describeEntry(entry('servers.update', 'srv_1', { id: 'srv_1', name: 'web-1' }), entities).text).toBe('Edited server web-1');
    expect(describeEntry(entry('databases.restart', 'db-1', { id: 'db-1' }), entities).text).toBe('Restarted database orders on web-1');
  });

  it('says what a container action did and where', () => {
    const d = describeEntry(entry('containers.action', '0123456789abcdef', { serverId: 'srv_1', id: '0123456789abcdef', action: 'restart' }), entities);
    expect(d).toMatchObject({ text: 'Restarted container 0123456789ab on web-1', serverId: 'srv_1' });
  });

  it('keeps what it can of removed entities and unknown procedures', () => {
    expect(describeEntry(entry('apps.create', 'gone', { name: 'gone', serverId: 'srv_9' }), entities)).toMatchObject({ text: 'Created app gone on a removed server', serverId: 'srv_9' });
    expect(describeEntry(entry('servers.remove', 'srv_9abcdef', { id: 'srv_9abcdef' }), entities).text).toBe('Removed server srv_9abc (removed)');
    expect(describeEntry(entry('widgets.doSomethingNew', null, {}), entities).text).toBe('widgets: do something new');
    expect(describeEntry(entry('settings.update', null, 'not json{'), entities).text).toBe('Changed settings');
  });

  it('groups by day', () => {
    const now = new Date(2026, 11, 3, 10, 0).getTime();
    expect(dayOf(now - 60_000, now)).toBe('Today');
    expect(dayOf(new Date(2026, 11, 2, 23, 0).getTime(), now)).toBe('Yesterday');
    expect(dayOf(new Date(2026, 10, 1, 12, 0).getTime(), now)).toMatch(/2026/);
  });
});
