import type { Readable } from 'node:stream';
import { AppError } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { execChecked, execInContainer } from '../databases/docker-exec.ts';
import { myIdent } from './my-restore.ts';

/**
 * A managed MongoDB (`mongo:7`: mongosh and the database tools are in the image), as its root user in `admin`.
 * Not exercised by the tests here: Debian 12 has no MongoDB package to build a stand-in from.
 */
export interface MongoTarget {
  container: string;
  username: string;
  password: string;
}

/** Runs a mongosh script (database names in it are validated by the callers: lowercase letters, digits, _), the password in the env. */
async function mongosh(client: DockerClient, t: MongoTarget, script: string, what: string): Promise<string> {
  return execChecked(
    client,
    t.container,
    ['sh', '-c', 'mongosh --quiet --host 127.0.0.1 -u "$0" -p "$OP_PASSWORD" --authenticationDatabase admin admin --eval "$1"', t.username, script],
    what,
    { env: [`OP_PASSWORD=${t.password}`] },
  );
}

export async function mongoDatabaseExists(client: DockerClient, t: MongoTarget, name: string): Promise<boolean> {
  myIdent(name);
  const out = await mongosh(client, t, `print(db.adminCommand({ listDatabases: 1, nameOnly: true }).databases.some((d) => d.name === '${name}'))`, 'listing databases');
  return out.trim() === 'true';
}

export async function mongoDrop(client: DockerClient, t: MongoTarget, name: string): Promise<void> {
  myIdent(name);
  await mongosh(client, t, `db.getSiblingDB('${name}').dropDatabase()`, `dropping ${name}`);
}

/** Documents per collection of `name`. */
export async function mongoCounts(client: DockerClient, t: MongoTarget, name: string): Promise<Map<string, number>> {
  myIdent(name);
  const out = await mongosh(client, t, `const d = db.getSiblingDB('${name}'); d.getCollectionNames().forEach((c) => print(c + '\\t' + d.getCollection(c).countDocuments()))`, `counting ${name}`);
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [c, n] = line.split('\t');
    if (c && n !== undefined) m.set(c, Number(n));
  }
  return m;
}

/** mongorestore of an archive (stdin) with the namespace `from.*` renamed to `into.*`. */
export async function mongoRestore(client: DockerClient, t: MongoTarget, from: string, into: string, plain: Readable): Promise<void> {
  myIdent(from);
  myIdent(into);
  const r = await execInContainer(
    client,
    t.container,
    ['sh', '-c', 'printf "password: \\"%s\\"\\n" "$OP_PASSWORD" > /tmp/.op-restore.yaml && chmod 600 /tmp/.op-restore.yaml && mongorestore --host 127.0.0.1 -u "$0" --authenticationDatabase admin --config /tmp/.op-restore.yaml --archive --nsInclude "$1.*" --nsFrom "$1.*" --nsTo "$2.*" --quiet; rc=$?; rm -f /tmp/.op-restore.yaml; exit $rc', t.username, from, into],
    { env: [`OP_PASSWORD=${t.password}`], stdin: plain, maxCollect: 20_000 },
  );
  if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `restoring into ${into} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
}
