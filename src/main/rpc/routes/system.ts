import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function systemRoutes(os: Os, services: AppServices) {
  return {
    info: os.system.info.handler(() => ({
      version: services.options.version,
      mode: services.options.mode,
      dataDir: services.options.dataDir,
      platform: `${process.platform}-${process.arch}`,
      nodeVersion: process.versions.node,
      secretBackend: services.secrets.backend,
    })),
    diagnostics: os.system.diagnostics.handler(() => ({
      activeStreams: services.streams.count,
      uptimeMs: Date.now() - services.startedAt,
      rssBytes: process.memoryUsage.rss(),
    })),
  };
}
