import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditService } from './services/audit/service.ts';
import { StreamRegistry } from './services/core/streams.ts';
import { openStorage, type Storage } from './services/db/index.ts';
import { SecretsService, type SecretBackendChoice } from './services/secrets/service.ts';
import { SettingsService } from './services/settings/service.ts';

export interface AppOptions {
  dataDir: string;
  mode: 'desktop' | 'web';
  version: string;
  secretBackend?: SecretBackendChoice;
}

/** Every service of the app, wired once; both the Electron main process and headless mode build exactly this. */
export interface AppServices {
  options: AppOptions;
  startedAt: number;
  storage: Storage;
  audit: AuditService;
  settings: SettingsService;
  secrets: SecretsService;
  streams: StreamRegistry;
  close(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<AppServices> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const storage = openStorage(join(options.dataDir, 'openpanel.db'));
  const secrets = await SecretsService.open(storage.db, options.dataDir, options.secretBackend ?? 'auto');
  const services: AppServices = {
    options,
    startedAt: Date.now(),
    storage,
    audit: new AuditService(storage.db),
    settings: new SettingsService(storage.db),
    secrets,
    streams: new StreamRegistry(),
    async close() {
      storage.close();
    },
  };
  return services;
}
