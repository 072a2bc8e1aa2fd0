// Test helpers for the Data feature: a real S3 API server (s3rver) on the test bed's bridge address, and the
// images the servers need without a registry (a PostgreSQL stand-in and the backup tools image), both built
// offline from Debian's packages.
import { mkdtempSync, rmSync } from 'node:fs';
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

/** One Debian rootfs with everything (built once, cached): PostgreSQL 15 server and client, age, rclone, busybox (crond). */
export const DATA_PACKAGES = ['age', 'busybox-static', 'postgresql-15', 'rclone', 'redis-server'];
export const PG_STANDIN = 'openpanel-test/postgres:15';
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

/** Loads the Debian image and builds the PostgreSQL stand-in and the tools image on the server (no registry). */
export async function loadDataImages(s: TestServer): Promise<{ postgres: string; tools: string }> {
  const base = await s.loadImage('debian', { packages: DATA_PACKAGES });
  const ctx = `/tmp/pg-standin-${process.pid}`;
  await s.exec(['mkdir', '-p', ctx], { check: true });
  await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/entrypoint.sh`], { input: ENTRYPOINT, check: true });
  await s.exec(['chmod', '755', `${ctx}/entrypoint.sh`], { check: true });
  await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/Dockerfile`], { input: DOCKERFILE(base), check: true });
  await s.exec(['docker', 'build', '-q', '-t', PG_STANDIN, ctx], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
  await s.exec(['docker', 'tag', base, TOOLS_STANDIN], { check: true });
  return { postgres: PG_STANDIN, tools: TOOLS_STANDIN };
}
