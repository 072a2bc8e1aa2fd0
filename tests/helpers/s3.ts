// Test helpers for the Data feature: a real S3 API server (s3rver) on the test bed's bridge address, and the
// images the servers need without a registry (a PostgreSQL stand-in and the backup tools image), both built
// offline from Debian's packages.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import type { Testbed, TestServer } from '../testbed/index.ts';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  close(): Promise<void>;
}

/** s3rver bound to the bed's bridge address (reachable from the servers' namespaces; root loopback is not). */
export async function startS3(bed: Testbed, bucket = 'backups'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'openpanel-s3-'));
  const server = new S3rver({ address: bed.gateway, port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] }) as {
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  };
  const info = await server.run();
  return {
    endpoint: `http://${info.address}:${info.port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    dir,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface S3Gate {
  /** The gate's S3 endpoint (on the bed's bridge address, like s3rver's). */
  endpoint: string;
  /** While true, uploads (PUT, and POST other than multi-object delete) are answered 403 AccessDenied; reads, lists and deletes pass. */
  refuseUploads: boolean;
  /** Uploads refused so far. */
  refused: number;
  /** While true, uploads get no answer and their bodies are not read (a stalled upload) until `release()`. */
  holdUploads: boolean;
  /** Uploads held so far. */
  held: number;
  /** Forwards the held uploads (stop holding first: set holdUploads to false). */
  release(): void;
  close(): Promise<void>;
}

/**
 * A fault injector in front of the real s3rver: an HTTP proxy that forwards every request unchanged (the Host header
 * too, so SigV4 signatures still verify) and can refuse uploads only, to make a backup fail at the upload while the
 * bucket stays listable and deletable.
 */
export async function startS3Gate(bed: Testbed, s3: TestS3): Promise<S3Gate> {
  const upstream = new URL(s3.endpoint);
  const server = createServer((req, res) => {
    const upload = req.method === 'PUT' || (req.method === 'POST' && !/[?&]delete(=|&|$)/.test(req.url ?? ''));
    if (gate.refuseUploads && upload) {
      gate.refused++;
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml', connection: 'close' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>uploads refused by the test gate</Message></Error>');
      return;
    }
    const forward = () => {
      const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => res.destroy(e));
      req.pipe(up);
    };
    if (gate.holdUploads && upload) {
      gate.held++;
      req.pause();
      held.push(forward);
      return;
    }
    forward();
  });
  const held: (() => void)[] = [];
  await new Promise<void>((resolve) => server.listen(0, bed.gateway, resolve));
  const gate: S3Gate = {
    endpoint: `http://${bed.gateway}:${(server.address() as AddressInfo).port}`,
    refuseUploads: false,
    refused: 0,
    holdUploads: false,
    held: 0,
    release: () => {
      for (const forward of held.splice(0)) forward();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return gate;
}

/**
 * One Debian rootfs with everything (built once, cached): PostgreSQL 15, MariaDB 10.11 and Redis 7.0 servers and
 * clients, age, rclone, zstd, busybox (crond).
 */
export const DATA_PACKAGES = ['age', 'busybox-static', 'mariadb-server', 'postgresql-15', 'rclone', 'redis-server', 'zstd'];
export const PG_STANDIN = 'openpanel-test/postgres:15';
export const MARIADB_STANDIN = 'openpanel-test/mariadb:10.11';
export const REDIS_STANDIN = 'openpanel-test/redis:7.0';
export const TOOLS_STANDIN = 'openpanel-test/backup-tools:1';

/**
 * Stand-in for the official `postgres` image, honouring its env/volume contract: POSTGRES_PASSWORD (required),
 * POSTGRES_USER (default postgres), POSTGRES_DB (default = user), data in /var/lib/postgresql/data, local socket
 * trust and scram-sha-256 over TCP, port 5432.
 */
const ENTRYPOINT = `#!/bin/bash
set -euo pipefail
export PGDATA=\${PGDATA:-/var/lib/postgresql/data}
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  U=\${POSTGRES_USER:-postgres}; D=\${POSTGRES_DB:-$U}
  printf '%s' "$POSTGRES_PASSWORD" > /tmp/pw; chown postgres /tmp/pw
  runuser -u postgres -- initdb -D "$PGDATA" -U "$U" --pwfile=/tmp/pw --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f /tmp/pw
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.auto.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$D" != postgres ]; then printf 'CREATE DATABASE "%s";\\n' "$D" | runuser -u postgres -- postgres --single -D "$PGDATA" postgres >/dev/null; fi
fi
exec runuser -u postgres -- postgres -D "$PGDATA"
`;

const DOCKERFILE = (base: string) => `FROM ${base}
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
`;

/**
 * Stand-ins for the official `mariadb` (mariadb:11) and `redis` (redis:7) images, honouring their contracts (see the
 * entrypoints in standins/): MARIADB_ROOT_PASSWORD (or MYSQL_*), MARIADB_DATABASE, MARIADB_USER/PASSWORD,
 * MARIADB_ROOT_HOST (default %), data in /var/lib/mysql, port 3306, clients `mariadb`/`mariadb-dump`; redis-server
 * arguments as the command (`--requirepass`), data in /data, port 6379.
 */
const MARIADB_ENTRYPOINT = readFileSync(join(import.meta.dirname, 'standins/mariadb-entrypoint.sh'), 'utf8');
const REDIS_ENTRYPOINT = readFileSync(join(import.meta.dirname, 'standins/redis-entrypoint.sh'), 'utf8');

// Debian's postinst initialised /var/lib/mysql in the rootfs; the official image starts with it empty.
const MARIADB_DOCKERFILE = (base: string) => `FROM ${base}
RUN rm -rf /var/lib/mysql && mkdir -p /var/lib/mysql && chown mysql:mysql /var/lib/mysql
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["mariadbd"]
`;

const REDIS_DOCKERFILE = (base: string) => `FROM ${base}
RUN mkdir -p /data && chown redis:redis /data
WORKDIR /data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server"]
`;

async function buildStandin(s: TestServer, tag: string, entrypoint: string, dockerfile: string): Promise<string> {
  const ctx = `/tmp/standin-${tag.replace(/[^a-z0-9]/g, '-')}-${process.pid}`;
  await s.exec(['mkdir', '-p', ctx], { check: true });
  await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/entrypoint.sh`], { input: entrypoint, check: true });
  await s.exec(['chmod', '755', `${ctx}/entrypoint.sh`], { check: true });
  await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/Dockerfile`], { input: dockerfile, check: true });
  await s.exec(['docker', 'build', '-q', '-t', tag, ctx], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
  return tag;
}

export interface DataImages {
  postgres: string;
  mariadb: string;
  redis: string;
  tools: string;
}

/** Loads the Debian image and builds the PostgreSQL, MariaDB and Redis stand-ins and the tools image on the server (no registry). */
export async function loadDataImages(s: TestServer): Promise<DataImages> {
  const base = await s.loadImage('debian', { packages: DATA_PACKAGES });
  await buildStandin(s, PG_STANDIN, ENTRYPOINT, DOCKERFILE(base));
  await buildStandin(s, MARIADB_STANDIN, MARIADB_ENTRYPOINT, MARIADB_DOCKERFILE(base));
  await buildStandin(s, REDIS_STANDIN, REDIS_ENTRYPOINT, REDIS_DOCKERFILE(base));
  await s.exec(['docker', 'tag', base, TOOLS_STANDIN], { check: true });
  return { postgres: PG_STANDIN, mariadb: MARIADB_STANDIN, redis: REDIS_STANDIN, tools: TOOLS_STANDIN };
}

/** The image mapping a test server needs: official images → the stand-ins built above. */
export function dataImageMapping(images: DataImages): Record<string, string> {
  return { 'postgres:16': images.postgres, 'mariadb:11': images.mariadb, 'redis:7': images.redis, 'openpanel/backup-tools:1': images.tools };
}
