import { afterEach, describe, expect, it } from 'vitest';
import { noticeDelivery, showNotice, type NoticeEnv } from './notice.ts';

const PERMISSIONS: NoticeEnv['permission'][] = ['granted', 'denied', 'default', null];

describe('noticeDelivery: an OS notification in the desktop app when allowed, a toast otherwise', () => {
  it('decides over every permission in the desktop app and in the browser', () => {
    for (const desktop of [true, false]) {
      for (const permission of PERMISSIONS) {
        const d = noticeDelivery('Backup failed', 'Backup failed on prod-1 (backup nightly)', { desktop, permission });
        if (desktop && permission === 'granted') expect(d, `desktop, ${permission}`).toEqual({ via: 'os', title: 'OpenPanel: Backup failed', body: 'Backup failed on prod-1 (backup nightly)' });
        else expect(d, `${desktop ? 'desktop' : 'browser'}, ${permission}`).toEqual({ via: 'toast', title: 'Backup failed', detail: 'Backup failed on prod-1 (backup nightly)' });
      }
    }
  });

  it('titles the OS notification with osTitle when given, and the toast with the title', () => {
    expect(noticeDelivery('Backup failed', 'x', { desktop: true, permission: 'granted' }, 'OpenPanel: backup failed')).toMatchObject({ via: 'os', title: 'OpenPanel: backup failed' });
    expect(noticeDelivery('Backup failed', 'x', { desktop: true, permission: 'denied' }, 'OpenPanel: backup failed')).toMatchObject({ via: 'toast', title: 'Backup failed' });
  });
});

describe('showNotice: reads the page and shows the notice where it was decided', () => {
  const g = globalThis as Record<string, unknown>;
  const shown: { title: string; body: string | undefined }[] = [];
  const toasts: { kind: string; title: string; detail: string }[] = [];
  /** The page's Notification API as the desktop app has it (a stand-in: node has no DOM). */
  class FakeNotification {
    static permission: NotificationPermission = 'default';
    constructor(title: string, opts?: { body?: string }) {
      shown.push({ title, body: opts?.body });
    }
  }
  const page = (protocol: string, withApi: boolean) => {
    g.window = { location: { protocol } };
    if (withApi) g.Notification = FakeNotification;
    else delete g.Notification;
  };
  afterEach(() => {
    delete g.window;
    delete g.Notification;
    shown.length = 0;
    toasts.length = 0;
  });

  it('notifies through the OS on the desktop once allowed, reading the permission at each notice', () => {
    page('file:', true);
    FakeNotification.permission = 'default';
    showNotice((t) => toasts.push(t), 'Restart loop', 'crashy on prod-1 is in a restart loop');
    FakeNotification.permission = 'granted';
    showNotice((t) => toasts.push(t), 'Restart loop', 'crashy on prod-1 is in a restart loop');
    FakeNotification.permission = 'denied';
    showNotice((t) => toasts.push(t), 'Backup failed', 'db on prod-1', 'OpenPanel: backup failed');
    expect(shown).toEqual([{ title: 'OpenPanel: Restart loop', body: 'crashy on prod-1 is in a restart loop' }]);
    expect(toasts).toEqual([
      { kind: 'error', title: 'Restart loop', detail: 'crashy on prod-1 is in a restart loop' },
      { kind: 'error', title: 'Backup failed', detail: 'db on prod-1' },
    ]);
  });

  it('always toasts in the browser (http:), even where the browser would allow notifications, and without the API', () => {
    FakeNotification.permission = 'granted';
    page('http:', true);
    showNotice((t) => toasts.push(t), 'Disk almost full', 'prod-1: disk / is 95 % full');
    page('file:', false);
    showNotice((t) => toasts.push(t), 'Server unreachable', 'prod-1 is unreachable');
    expect(shown).toEqual([]);
    expect(toasts.map((t) => t.title)).toEqual(['Disk almost full', 'Server unreachable']);
  });
});
