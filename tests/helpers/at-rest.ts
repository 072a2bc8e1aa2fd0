import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from './app.ts';

/** Every byte written under the data dir (SQLite with the audit log, its WAL, the vault, anything else), after a checkpoint. */
export function atRestBytes(app: TestApp): Buffer {
  app.services.storage.sqlite.pragma('wal_checkpoint(FULL)');
  const walk = (dir: string): Buffer[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [readFileSync(p)];
    });
  return Buffer.concat(walk(app.dataDir));
}

/**
 * The forms a value could take when written: as is, JSON-escaped, base64, and for a PEM its body unwrapped and each
 * line of it from the fourth on (the first lines are a format header and the public key, the same in other keys).
 */
function forms(value: string): string[] {
  const body = value.split(/\r?\n/).filter((l) => l.length > 0 && !/^-----/.test(l));
  const pem = body.length > 3 ? [body.join(''), ...body.slice(3).filter((l) => l.length >= 24)] : [];
  return [value, JSON.stringify(value).slice(1, -1), Buffer.from(value).toString('base64'), ...pem];
}

/** The names of the secrets any form of which is found at rest. */
export function secretsAtRest(app: TestApp, secrets: Record<string, string>): string[] {
  const bytes = atRestBytes(app);
  return Object.entries(secrets)
    .filter(([, v]) => forms(v).some((f) => bytes.includes(Buffer.from(f))))
    .map(([name]) => name);
}
