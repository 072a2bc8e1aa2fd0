import { describe, expect, it } from 'vitest';
import { channelStates, deliveryEvents, integrationCounters, parseLogfmt } from './status.ts';

const t0 = Date.parse('2026-12-03T17:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const retry = (s: number, receiver: string) =>
  `ts=${at(s)} caller=notify.go:732 level=warn component=dispatcher receiver=${receiver} integration=email[0] msg="Notify attempt failed, will retry later" attempts=1 err="establish connection to server: dial tcp 10.0.0.1:2525: connect: connection refused"`;
const failed = (s: number, err: string) => `ts=${at(s)} caller=dispatch.go:352 level=error component=dispatcher msg="Notify for alerts failed" num_alerts=1 err=${JSON.stringify(err)}`;

describe('parseLogfmt', () => {
  it('reads quoted values with escapes', () => {
    expect(parseLogfmt('a=1 msg="x \\"y\\" z" b=')).toEqual({ a: '1', msg: 'x "y" z', b: '' });
  });
});

describe('deliveryEvents and channelStates', () => {
  const log = [
    retry(0, 'ch_mail'),
    retry(5, 'ch_mail-test'),
    failed(30, 'ch_mail/email[0]: notify retry canceled after 4 attempts: dial tcp: connection refused; ch_hook/webhook[0]: notify retry canceled due to unrecoverable error after 1 attempts: unexpected status code 400'),
    'ts=garbage level=info msg="Notify attempt failed, will retry later" receiver=ch_x',
    `ts=${at(40)} level=debug component=dispatcher receiver=ch_ok integration=slack[0] msg="Notify success" attempts=1`,
  ].join('\n');

  it('names each failing receiver (a test receiver counts for its channel), with the error', () => {
    const events = deliveryEvents(log);
    expect(events.map((e) => [e.channelId, e.kind])).toEqual([
      ['ch_mail', 'retry'],
      ['ch_mail', 'retry'],
      ['ch_mail', 'failed'],
      ['ch_hook', 'failed'],
      ['ch_ok', 'success'],
    ]);
    expect(events[3]?.error).toContain('unexpected status code 400');
  });

  it('is failing after Alertmanager gave up, retrying before, ok once failures stop for two group intervals', () => {
    const events = deliveryEvents(log);
    const states = (now: number) => Object.fromEntries(channelStates(['ch_mail', 'ch_hook', 'ch_ok', 'ch_new'], events, 30, t0 + now * 1000).map((s) => [s.channelId, s.state]));
    expect(states(35)).toEqual({ ch_mail: 'failing', ch_hook: 'failing', ch_ok: 'ok', ch_new: 'ok' });
    expect(states(200)).toMatchObject({ ch_mail: 'ok', ch_hook: 'ok' });
    const early = deliveryEvents([retry(0, 'ch_mail'), retry(5, 'ch_mail')].join('\n'));
    expect(channelStates(['ch_mail'], early, 30, t0 + 10_000)[0]).toMatchObject({ state: 'retrying', lastFailureAt: t0 + 5000 });
    // A success after the failure: ok at once.
    const healed = deliveryEvents([retry(0, 'ch_ok'), `ts=${at(3)} level=debug receiver=ch_ok integration=slack[0] msg="Notify success"`].join('\n'));
    expect(channelStates(['ch_ok'], healed, 30, t0 + 4000)[0]?.state).toBe('ok');
  });
});

describe('integrationCounters', () => {
  it('sums sent and failed per integration', () => {
    const text = [
      '# HELP alertmanager_notifications_total The total number of attempted notifications.',
      'alertmanager_notifications_total{integration="email"} 4',
      'alertmanager_notifications_failed_total{integration="email"} 3',
      'alertmanager_notifications_total{integration="webhook"} 2',
      'alertmanager_notifications_failed_total{integration="webhook"} 0',
    ].join('\n');
    expect(integrationCounters(text)).toEqual([
      { integration: 'email', sent: 4, failed: 3 },
      { integration: 'webhook', sent: 2, failed: 0 },
    ]);
  });
});
