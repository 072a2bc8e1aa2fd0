/**
 * Security-relevant Electron settings in one place, free of `electron` imports so tests can check them.
 */
export interface SecureWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    experimentalFeatures: false;
    spellcheck: boolean;
  };
}

export function windowOptions(preloadPath: string): SecureWindowOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'OpenPanel',
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
    },
  };
}

/** Navigation is only allowed within the app's own page; everything else is denied. */
export function isAllowedNavigation(target: string, appUrl: string): boolean {
  try {
    const t = new URL(target);
    const a = new URL(appUrl);
    if (t.protocol === 'file:' && a.protocol === 'file:') return t.pathname === a.pathname;
    return t.origin === a.origin && (a.protocol === 'http:' || a.protocol === 'https:');
  } catch {
    return false;
  }
}

/** Permissions the renderer may request from Electron: only notifications (alerts). */
export const ALLOWED_PERMISSIONS: readonly string[] = ['notifications'];
