import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/contract/fleet.ts';
import { alertDelivery } from './alert-delivery.ts';

const alert = (kind: Alert['kind'], message: string): Alert => ({ id: `${kind}/s1//1`, kind, serverId: 's1', containerId: null, message, at: 1 });

describe('alertDelivery: OS notification on the desktop when allowed, a toast otherwise', () => {
  it('notifies through the OS in the desktop app once the user allowed it', () => {
    expect(alertDelivery(alert('restart-loop', 'crashy on prod-1 is in a restart loop (3 exits in 2 min)'), { desktop: true, permission: 'granted' })).toEqual({
      via: 'os',
      title: 'OpenPanel: Restart loop',
      body: 'crashy on prod-1 is in a restart loop (3 exits in 2 min)',
    });
  });

  it('falls back to a toast on a desktop where notifications were refused or not answered yet', () => {
    for (const permission of ['denied', 'default'] as const) {
      expect(alertDelivery(alert('unhealthy', 'sick on prod-1 is unhealthy'), { desktop: true, permission })).toEqual({ via: 'toast', title: 'Container unhealthy', detail: 'sick on prod-1 is unhealthy' });
    }
  });

  it('always toasts in the browser, even where the browser itself would allow notifications', () => {
    expect(alertDelivery(alert('unreachable', 'prod-1 is unreachable: timed out'), { desktop: false, permission: 'granted' })).toMatchObject({ via: 'toast', title: 'Server unreachable' });
    expect(alertDelivery(alert('disk', 'prod-1: disk / is 95 % full'), { desktop: false, permission: null })).toMatchObject({ via: 'toast', title: 'Disk almost full' });
  });
});
