import { ENGINE_LIST } from './engines.ts';

/** Images OpenPanel itself runs on a server for apps, by role (mapped in the server's proxy settings' image overrides). */
export const SERVICE_IMAGES = {
  traefik: 'traefik:v3.3',
  caddy: 'caddy:2',
  /** Needs sh, git and the docker CLI (the docker:cli image has all three). */
  builder: 'docker:27-cli',
  /** The push-to-deploy receiver (only while an app has it on): needs `node` >= 18, nothing else. */
  webhook: 'node:22-alpine',
  /** Watch: the monitoring stack on a server (all four run as uid 65534 with their own binary as entrypoint). */
  prometheus: 'prom/prometheus:v2.53.3',
  alertmanager: 'prom/alertmanager:v0.27.0',
  nodeExporter: 'prom/node-exporter:v1.8.2',
  blackbox: 'prom/blackbox-exporter:v0.25.0',
  /** The private registry (distribution 2.x, `registry serve <config>`). */
  registry: 'registry:2',
} as const;

/**
 * Tools image of backups: bash, coreutils, zstd (without it backups fall back to gzip), gzip, tar, age, rclone,
 * busybox (crond) and the clients that dump: PostgreSQL (pg_dump), MariaDB/MySQL (mariadb-dump or mysqldump),
 * Redis (redis-cli), MongoDB (mongodump).
 */
export const BACKUP_TOOLS_IMAGE = 'openpanel/backup-tools:1';

/**
 * Where a mapping of an image is kept: `ship` in the server's proxy settings (`imageOverrides.images`, read by
 * the proxy, builds and the push-to-deploy receiver), `data` in the server's data image mapping (`databases.images`,
 * read by databases and backups).
 */
export type ImageStore = 'ship' | 'data';

export interface ImageUse {
  ref: string;
  label: string;
  store: ImageStore;
}

/** Every image the app runs on a server, with the store its mapping lives in; `extra` adds data images in use (other database versions). */
export function imageUses(extra: readonly string[] = []): ImageUse[] {
  const uses: ImageUse[] = [
    { ref: SERVICE_IMAGES.caddy, label: 'Reverse proxy (Caddy)', store: 'ship' },
    { ref: SERVICE_IMAGES.traefik, label: 'Reverse proxy (Traefik)', store: 'ship' },
    { ref: SERVICE_IMAGES.builder, label: 'App builder', store: 'ship' },
    { ref: SERVICE_IMAGES.webhook, label: 'Push-to-deploy receiver', store: 'ship' },
    { ref: SERVICE_IMAGES.prometheus, label: 'Watch (Prometheus)', store: 'ship' },
    { ref: SERVICE_IMAGES.alertmanager, label: 'Watch (Alertmanager)', store: 'ship' },
    { ref: SERVICE_IMAGES.nodeExporter, label: 'Watch (node-exporter)', store: 'ship' },
    { ref: SERVICE_IMAGES.blackbox, label: 'Watch (blackbox-exporter)', store: 'ship' },
    { ref: SERVICE_IMAGES.registry, label: 'Private registry', store: 'ship' },
    ...ENGINE_LIST.map((e): ImageUse => ({ ref: `${e.repo}:${e.defaultVersion}`, label: `Database (${e.label})`, store: 'data' })),
    { ref: BACKUP_TOOLS_IMAGE, label: 'Backup tools and scheduler', store: 'data' },
  ];
  for (const ref of extra) {
    if (uses.some((u) => u.ref === ref)) continue;
    const engine = ENGINE_LIST.find((e) => ref.startsWith(`${e.repo}:`));
    uses.push({ ref, label: engine ? `Database (${engine.label})` : 'Database', store: 'data' });
  }
  return uses;
}
