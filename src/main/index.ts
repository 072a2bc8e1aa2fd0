/**
 * Electron glue only: window, MessagePort transport, lifecycle. All behaviour lives in services (see app.ts).
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, MessageChannelMain, session, shell } from 'electron';
import pkg from '../../package.json' with { type: 'json' };
import { createApp, type AppServices } from './app.ts';
import { limitHeapGrowth } from './services/core/heap.ts';
import { createMessagePortServer } from './transport/message-port.ts';
import { contentSecurityPolicy } from './transport/csp.ts';
import { ALLOWED_PERMISSIONS, isAllowedNavigation, windowOptions } from './window-options.ts';

const PORT_CHANNEL = 'openpanel:port';

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let services: AppServices | null = null;
  let mainWindow: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });

  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, contents.getURL())) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  const createWindow = (svc: AppServices) => {
    const win = new BrowserWindow(windowOptions(join(import.meta.dirname, '../preload/index.cjs')));
    mainWindow = win;
    const api = createMessagePortServer(svc, 'desktop');
    // A fresh channel for every page load: the renderer gets one end, the API serves the other.
    win.webContents.on('did-finish-load', () => {
      const { port1, port2 } = new MessageChannelMain();
      api.serve(port1);
      win.webContents.postMessage(PORT_CHANNEL, null, [port2]);
    });
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      mainWindow = null;
    });
    if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
    else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  };

  void app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(ALLOWED_PERMISSIONS.includes(permission)));
    session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
      cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] } });
    });
    ipcMain.removeAllListeners();
    limitHeapGrowth();
    services = await createApp({ dataDir: app.getPath('userData'), mode: 'desktop', version: pkg.version });
    createWindow(services);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0 && services) createWindow(services);
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('will-quit', () => {
    void services?.close();
  });
}
