#!/usr/bin/env node
// CLI entry: `openpanel web` serves the UI to a browser on loopback. Needs `npm run build` first (setup does it).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'headless.js');
if (!existsSync(entry)) {
  process.stderr.write(`OpenPanel is not built (${entry} is missing): run scripts/setup.sh or npm run build first.\n`);
  process.exit(1);
}
const { main } = await import(entry);
main().catch((e) => {
  process.stderr.write(`openpanel: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
