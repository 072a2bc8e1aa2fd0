import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './transport/csp.ts';
import { ALLOWED_PERMISSIONS, isAllowedNavigation, windowOptions } from './window-options.ts';

describe('Electron window hardening', () => {
  it('isolates, sandboxes and disables Node in every renderer context', () => {
    const o = windowOptions('/app/out/preload/index.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(ALLOWED_PERMISSIONS).toEqual(['notifications']);
  });

  it('denies navigation away from the app', () => {
    expect(isAllowedNavigation('file:///app/out/renderer/index.html#/servers', 'file:///app/out/renderer/index.html')).toBe(true);
    expect(isAllowedNavigation('file:///etc/passwd', 'file:///app/out/renderer/index.html')).toBe(false);
    expect(isAllowedNavigation('https://evil.example/', 'file:///app/out/renderer/index.html')).toBe(false);
    expect(isAllowedNavigation('http://localhost:5173/#/apps', 'http://localhost:5173/')).toBe(true);
    expect(isAllowedNavigation('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAllowedNavigation('not a url', 'http://localhost:5173/')).toBe(false);
  });

  it('has a strict CSP: own scripts only, no eval, no plugins, no framing', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
