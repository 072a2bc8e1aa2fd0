import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small Express app folder whose manifests and .env hold the given secrets (for context and redaction tests). */
export function makeSampleRepo(secrets: { urlPassword: string; envFileValue: string; composePassword: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'openpanel-ai-repo-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'shop', scripts: { start: 'node server.js', migrate: `DATABASE_URL=postgres://admin:${secrets.urlPassword}@db.internal:5432/shop knex migrate` }, dependencies: { express: '^4.19.0' } }, null, 2),
  );
  writeFileSync(join(dir, 'package-lock.json'), '{}');
  writeFileSync(join(dir, 'server.js'), "require('express')().listen(3000)\n");
  writeFileSync(join(dir, '.env'), `DATABASE_PASSWORD=${secrets.envFileValue}\nPORT=3000\n`);
  writeFileSync(join(dir, 'docker-compose.yml'), `services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${secrets.composePassword}\n`);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM node:18\nCOPY . .\nCMD ["node", "server.js"]\n');
  mkdirSync(join(dir, 'node_modules/express'), { recursive: true });
  return dir;
}
