import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const OUT = join(import.meta.dirname, '../../out');

// `electron-vite build` runs in setup before the tests; this checks what it produced is shippable.
describe('electron-vite build output', () => {
  it('has main, headless, a CommonJS preload and the renderer', () => {
    for (const f of ['main/index.js', 'main/headless.js', 'preload/index.cjs', 'renderer/index.html']) expect(existsSync(join(OUT, f)), f).toBe(true);
    const preload = readFileSync(join(OUT, 'preload/index.cjs'), 'utf8');
    expect(preload).toMatch(/require\(["']electron["']\)/);
    expect(preload).not.toMatch(/contextBridge\.exposeInMainWorld/);
    const html = readFileSync(join(OUT, 'renderer/index.html'), 'utf8');
    expect(html).toContain('Content-Security-Policy');
    expect(readFileSync(join(OUT, 'main/index.js'), 'utf8')).toMatch(/requestSingleInstanceLock/);
  });
  it('keeps electron out of the headless bundle', () => {
    expect(readFileSync(join(OUT, 'main/headless.js'), 'utf8')).not.toMatch(/from ["']electron["']/);
  });
});
