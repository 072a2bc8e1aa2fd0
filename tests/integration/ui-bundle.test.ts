import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEAVY_PARTS, measureBundle, type BundleReport } from '../helpers/bundle.ts';

const ROOT = join(import.meta.dirname, '../..');
const INITIAL_GZ_LIMIT = 200 * 1024;

// The structure that keeps the UI light: pages and heavy libraries in chunks loaded on demand, a small start.
describe('renderer bundle: lazy chunks, initial JS ≤ 200 KB gzipped', () => {
  let out: string;
  let report: BundleReport;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'openpanel-bundle-'));
    // A build of its own, with the project's config: out/ may be rebuilt by anyone meanwhile.
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/electron-vite'), ['build', '--outDir', out, '--logLevel', 'warn'], { cwd: ROOT, maxBuffer: 16 << 20 });
    report = measureBundle(join(out, 'renderer'));
  }, 180_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('loads at most 200 KB of gzipped JS at start, a fraction of the whole', () => {
    console.log(`initial JS ${(report.initialGz / 1024).toFixed(1)} KB gz in ${report.initial.length} files; all JS ${(report.allGz / 1024).toFixed(1)} KB gz in ${report.all.length}`);
    expect(report.initialGz).toBeGreaterThan(0);
    expect(report.initialGz).toBeLessThanOrEqual(INITIAL_GZ_LIMIT);
    expect(report.initialGz).toBeLessThan(report.allGz / 2);
  });

  it('imports every page on demand from the entry', () => {
    const pages = report.lazyFromEntry.map((f) => /assets\/(\w+Page)-/.exec(f)?.[1]).filter(Boolean);
    expect(new Set(pages)).toEqual(new Set(['ServersPage', 'ClusterPage', 'ContainersPage', 'LogsPage', 'TerminalsPage', 'AppsPage', 'DatabasesPage', 'ForwardsPage', 'BackupsPage', 'WatchPage', 'AssistantPage', 'ActivityPage', 'SettingsPage']));
  });

  it('keeps the terminal, charts, log viewer, assistant and zod out of the initial files', () => {
    for (const part of report.heavy) {
      // Found in the build at all (else the check below would pass for a renamed signature), and never at start.
      expect(part.files, `${part.name} is in the build`).not.toEqual([]);
      expect(part.initial, `${part.name} in the initial JS (${part.files.join(', ')})`).toBe(false);
    }
    expect(report.heavy.map((h) => h.name)).toEqual(HEAVY_PARTS.map((h) => h.name));
  });

  it('positive control: a build that loads a heavy part at start is reported', () => {
    const fake = join(out, 'fake');
    mkdirSync(join(fake, 'assets'), { recursive: true });
    // Incompressible text, so the gzip size is over the limit as it would be for a real library.
    const noise = Array.from({ length: 80_000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join(',');
    writeFileSync(join(fake, 'assets/index.js'), 'import("./lazy.js");');
    writeFileSync(join(fake, 'assets/vendor.js'), `const c = "xterm-helper-textarea";${noise}`);
    writeFileSync(join(fake, 'assets/lazy.js'), 'export const x = 1;');
    writeFileSync(join(fake, 'index.html'), '<script type="module" crossorigin src="./assets/index.js"></script>\n<link rel="modulepreload" crossorigin href="./assets/vendor.js">');
    const bad = measureBundle(fake);
    expect(bad.initial.map((f) => f.file)).toEqual(['assets/index.js', 'assets/vendor.js']);
    expect(bad.lazyFromEntry).toEqual(['assets/lazy.js']);
    expect(bad.heavy.find((h) => h.name === 'terminal (xterm)')).toEqual({ name: 'terminal (xterm)', files: ['assets/vendor.js'], initial: true });
    expect(bad.initialGz).toBeGreaterThan(INITIAL_GZ_LIMIT);
  });
});
