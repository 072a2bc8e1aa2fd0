import { describe, expect, it } from 'vitest';
import { auditEntryOf, type AuditCall } from './audit.ts';

const call = (path: string, input: unknown, meta: AuditCall['meta'] = {}): AuditCall => ({ path: path.split('.'), input, meta, actor: 'web:127.0.0.1', started: Date.now() - 5 });

describe('audit entries', () => {
  it('records a reveal of container env as containers.revealEnv with the real actor, and a plain inspect not at all', () => {
    const entry = auditEntryOf(call('containers.inspect', { serverId: 'srv_1', id: 'web', reveal: true }), 'ok', null, { env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] });
    expect(entry).toMatchObject({ actor: 'web:127.0.0.1', action: 'containers.revealEnv', target: 'web', result: 'ok', errorCode: null });
    expect(JSON.parse(entry!.input!)).toEqual({ serverId: 'srv_1', id: 'web' });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(5);
    expect(auditEntryOf(call('containers.inspect', { serverId: 'srv_1', id: 'web' }), 'ok', null)).toBeNull();
    expect(auditEntryOf(call('containers.inspect', { serverId: 'srv_1', id: 'web', reveal: false }), 'ok', null)).toBeNull();
    expect(auditEntryOf(call('containers.inspect', { serverId: 'srv_1', id: 'nope', reveal: true }), 'error', 'NOT_FOUND')).toMatchObject({ action: 'containers.revealEnv', result: 'error', errorCode: 'NOT_FOUND' });
  });

  it('records mutating calls with secrets redacted, and a create under the id it returned', () => {
    const entry = auditEntryOf(call('servers.create', { name: 'web-1', auth: { method: 'password', password: 'pw-1' } }, { mutating: true }), 'ok', null, { id: 'srv_9' });
    expect(entry).toMatchObject({ action: 'servers.create', target: 'srv_9' });
    expect(entry!.input).not.toContain('pw-1');
    expect(auditEntryOf(call('servers.update', { id: 'srv_9', name: 'x' }, { mutating: true }), 'ok', null)).toMatchObject({ target: 'srv_9' });
    expect(auditEntryOf(call('servers.list', {}), 'ok', null)).toBeNull();
  });
});
