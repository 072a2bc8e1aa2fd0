#!/usr/bin/env node
// CLI entry: `openpanel web` serves the UI to a browser on loopback. Needs `npm run build` first (setup does it).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`OpenPanel needs Node.js >= 22.12 (this is ${process.version}). Run scripts/start.sh: it installs Node 22 into .tools/ and starts from there.\n`);
  process.exit(1);
}
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
