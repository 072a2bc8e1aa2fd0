/** What the page knows about OS notifications: whether it is the desktop app, and what the user answered. */
export interface NoticeEnv {
  desktop: boolean;
  permission: 'default' | 'granted' | 'denied' | null;
}

export type NoticeDelivery = { via: 'os'; title: string; body: string } | { via: 'toast'; title: string; detail: string };

/**
 * How a notice (an alert, a failed backup) reaches the user — no DOM here, so it is unit-tested: an OS notification
 * in the desktop app when the user allowed notifications, a toast otherwise (the browser, or a desktop where
 * notifications were refused or not answered yet). The message names the server, as a notification shows nothing
 * else. The OS notification is titled `OpenPanel: <title>` unless `osTitle` is given.
 */
export function noticeDelivery(title: string, message: string, env: NoticeEnv, osTitle = `OpenPanel: ${title}`): NoticeDelivery {
  if (env.desktop && env.permission === 'granted') return { via: 'os', title: osTitle, body: message };
  return { via: 'toast', title, detail: message };
}

/** Whether this page is the desktop app with the Notification API (the web mode always toasts). */
export function isDesktop(): boolean {
  return typeof Notification !== 'undefined' && window.location.protocol === 'file:';
}

/** The environment as it is now (the permission is read at each notice: the user may answer in between). */
export function noticeEnv(): NoticeEnv {
  const desktop = isDesktop();
  return { desktop, permission: desktop ? Notification.permission : null };
}

/** Shows a notice as decided: an OS notification, or an error toast through `toast`. */
export function deliverNotice(toast: (t: { kind: 'error'; title: string; detail: string }) => void, d: NoticeDelivery): void {
  if (d.via === 'os') new Notification(d.title, { body: d.body });
  else toast({ kind: 'error', title: d.title, detail: d.detail });
}

/** Decides (`noticeDelivery`, in the environment as it is now) and shows a notice. */
export function showNotice(toast: (t: { kind: 'error'; title: string; detail: string }) => void, title: string, message: string, osTitle?: string): void {
  deliverNotice(toast, noticeDelivery(title, message, noticeEnv(), osTitle));
}
