/**
 * Headless entry: the same services as the desktop app, served to a browser over a WebSocket (web mode).
 * Usage: see USAGE. Web mode listens on loopback only; remote access goes through an SSH local forward.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { createApp } from './app.ts';
import { defaultDataDir } from './paths.ts';
import { AppError, isAppError } from './services/core/errors.ts';
import { limitHeapGrowth } from './services/core/heap.ts';
import { requireLoopback } from './transport/host-policy.ts';
import { startWebServer, type WebServer } from './transport/web-server.ts';
import type { SecretBackendChoice } from './services/secrets/service.ts';

export { createApp, startWebServer };

export const USAGE = 'usage: openpanel web [--host 127.0.0.1] [--port N] [--data-dir DIR] [--secret-backend auto|keychain|vault] [--token T]\n';

export interface RunningWeb {
  server: WebServer;
  dataDir: string;
  stop(): Promise<void>;
}

export interface WebArgs {
  host: string;
  port: number;
  dataDir: string | undefined;
  secretBackend: SecretBackendChoice;
  token: string | undefined;
}

/** Checks the command line before anything is opened; every refusal is an INPUT_INVALID naming the option. */
export function parseWebArgs(argv: string[]): WebArgs {
  if (argv.some((a) => a === '--allow-remote' || a.startsWith('--allow-remote='))) {
    throw new AppError(
      'INPUT_INVALID',
      '--allow-remote: this option was removed; web mode listens on loopback only. For remote access, forward a port over SSH from your machine: ssh -L 8080:127.0.0.1:<port> you@this-machine, then open http://127.0.0.1:8080/',
    );
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        'data-dir': { type: 'string' },
        'secret-backend': { type: 'string', default: 'auto' },
        token: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new AppError('INPUT_INVALID', e instanceof Error ? e.message : String(e));
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new AppError('INPUT_INVALID', `--port: expected an integer 0-65535, got "${values.port}"`);
  const backend = values['secret-backend'];
  if (backend !== 'auto' && backend !== 'keychain' && backend !== 'vault') throw new AppError('INPUT_INVALID', `--secret-backend: expected auto, keychain or vault, got "${backend}"`);
  requireLoopback(values.host);
  return { host: values.host, port, dataDir: values['data-dir'], secretBackend: backend, token: values.token };
}

export async function runWeb(argv: string[], staticDir = join(dirname(fileURLToPath(import.meta.url)), '../renderer')): Promise<RunningWeb> {
  const args = parseWebArgs(argv);
  const services = await createApp({
    dataDir: args.dataDir ?? defaultDataDir(),
    mode: 'web',
    version: pkg.version,
    secretBackend: args.secretBackend,
  });
  try {
    const server = await startWebServer({
      services,
      staticDir,
      host: args.host,
      port: args.port,
      ...(args.token ? { token: args.token } : {}),
    });
    return {
      server,
      dataDir: services.options.dataDir,
      async stop() {
        await server.close();
        await services.close();
      },
    };
  } catch (e) {
    await services.close();
    throw e;
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'web') {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  limitHeapGrowth();
  let running: RunningWeb;
  try {
    running = await runWeb(rest);
  } catch (e) {
    if (!isAppError(e, 'INPUT_INVALID')) throw e;
    process.stderr.write(`openpanel: ${e.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`OpenPanel web mode — data in ${running.dataDir}\nOpen: ${running.server.url}\n`);
  const shutdown = () => {
    void running.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
