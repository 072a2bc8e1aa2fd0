import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A library that must stay out of the initial JS, recognised by a string its built code always contains. */
export interface HeavyPart {
  name: string;
  signature: string;
}

export const HEAVY_PARTS: HeavyPart[] = [
  { name: 'terminal (xterm)', signature: 'xterm-helper-textarea' },
  { name: 'charts (uPlot)', signature: 'u-cursor-pt' },
  { name: 'log viewer', signature: 'logs-scroll' },
  { name: 'assistant', signature: 'chat-log' },
  { name: 'zod (contract schemas)', signature: '$ZodType' },
];

export interface BundleFile {
  file: string;
  bytes: number;
  gzBytes: number;
}

export interface BundleReport {
  /** What index.html makes the browser load at start: the entry script and its modulepreloads, in order. */
  initial: BundleFile[];
  initialGz: number;
  all: BundleFile[];
  allGz: number;
  /** Chunks the entry imports on demand (`import()`). */
  lazyFromEntry: string[];
  /** Per heavy part: the files that contain it, and whether any of them is loaded at start. */
  heavy: { name: string; files: string[]; initial: boolean }[];
}

function sizeOf(dir: string, file: string): BundleFile {
  const text = readFileSync(join(dir, file));
  return { file, bytes: text.length, gzBytes: gzipSync(text, { level: 9 }).length };
}

/** Reads a built renderer (`out/renderer`) the way the browser loads it: index.html's script and modulepreload tags. */
export function measureBundle(rendererDir: string, heavyParts: HeavyPart[] = HEAVY_PARTS): BundleReport {
  const html = readFileSync(join(rendererDir, 'index.html'), 'utf8');
  const tags = [...html.matchAll(/<(?:script[^>]*\btype="module"[^>]*\bsrc|link[^>]*\brel="modulepreload"[^>]*\bhref)="\.\/([^"]+\.js)"/g)].map((m) => m[1]!);
  if (tags.length === 0) throw new Error(`${rendererDir}/index.html loads no module script`);
  const initial = tags.map((f) => sizeOf(rendererDir, f));
  const assets = readdirSync(join(rendererDir, 'assets')).filter((f) => f.endsWith('.js'));
  const all = assets.map((f) => sizeOf(rendererDir, `assets/${f}`));
  const entry = readFileSync(join(rendererDir, tags[0]!), 'utf8');
  const lazyFromEntry = [...entry.matchAll(/import\(\s*[`"']\.\/([^`"']+\.js)[`"']\s*\)/g)].map((m) => `assets/${m[1]!}`);
  const heavy = heavyParts.map((part) => {
    const files = all.filter((f) => readFileSync(join(rendererDir, f.file), 'utf8').includes(part.signature)).map((f) => f.file);
    return { name: part.name, files, initial: files.some((f) => tags.includes(f)) };
  });
  const sum = (xs: BundleFile[]) => xs.reduce((n, f) => n + f.gzBytes, 0);
  return { initial, initialGz: sum(initial), all, allGz: sum(all), lazyFromEntry, heavy };
}
