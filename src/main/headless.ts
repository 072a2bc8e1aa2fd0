/**
 * Headless entry: the same services as the desktop app, served to a browser over a WebSocket (web mode).
 * Usage: openpanel web [--host 127.0.0.1] [--port 0] [--data-dir DIR] [--allow-remote] [--secret-backend auto|keychain|vault]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { createApp } from './app.ts';
import { defaultDataDir } from './paths.ts';
import { startWebServer, type WebServer } from './transport/web-server.ts';
import type { SecretBackendChoice } from './services/secrets/service.ts';

export { createApp, startWebServer };

export interface RunningWeb {
  server: WebServer;
  dataDir: string;
  stop(): Promise<void>;
}

export async function runWeb(argv: string[], staticDir = join(dirname(fileURLToPath(import.meta.url)), '../renderer')): Promise<RunningWeb> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'data-dir': { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      'secret-backend': { type: 'string', default: 'auto' },
      token: { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected an integer 0-65535, got "${values.port}"`);
  const backend = values['secret-backend'];
  if (backend !== 'auto' && backend !== 'keychain' && backend !== 'vault') throw new Error(`--secret-backend: expected auto, keychain or vault, got "${backend}"`);
  const services = await createApp({
    dataDir: values['data-dir'] ?? defaultDataDir(),
    mode: 'web',
    version: pkg.version,
    secretBackend: backend as SecretBackendChoice,
  });
  try {
    const server = await startWebServer({
      services,
      staticDir,
      host: values.host,
      port,
      allowRemote: values['allow-remote'],
      ...(values.token ? { token: values.token } : {}),
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
    process.stderr.write('usage: openpanel web [--host 127.0.0.1] [--port N] [--data-dir DIR] [--allow-remote] [--secret-backend auto|keychain|vault]\n');
    process.exitCode = 2;
    return;
  }
  const running = await runWeb(rest);
  process.stdout.write(`OpenPanel web mode — data in ${running.dataDir}\nOpen: ${running.server.url}\n`);
  const shutdown = () => {
    void running.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
