import type { ContractRouterClient } from '@orpc/contract';
import type { Contract, Server, ServerAuthInput } from '../../src/shared/contract/index.ts';
import type { TestServer } from '../testbed/index.ts';

type Client = ContractRouterClient<Contract>;
export type UserKind = 'root' | 'enc' | 'pw' | 'docker' | 'sudo';

export function authFor(s: TestServer, kind: UserKind): { username: string; auth: ServerAuthInput } {
  const u = s.users;
  switch (kind) {
    case 'root':
      return { username: u.root.username, auth: { method: 'key', privateKey: u.root.privateKey } };
    case 'enc':
      return { username: u.enc.username, auth: { method: 'key', privateKey: u.enc.privateKey, passphrase: u.enc.passphrase } };
    case 'pw':
      return { username: u.pw.username, auth: { method: 'password', password: u.pw.password } };
    case 'docker':
      return { username: u.docker.username, auth: { method: 'key', keyPath: u.docker.privateKeyPath } };
    case 'sudo':
      return { username: u.sudo.username, auth: { method: 'key', privateKey: u.sudo.privateKey } };
  }
}

/** Adds a test server through the API and pins its real ed25519 host key (as a user comparing fingerprints would). */
export async function addServer(
  client: Client,
  s: TestServer,
  opts: { kind?: UserKind; name?: string; jumpServerId?: string | null; trust?: boolean; maxSessions?: number } = {},
): Promise<Server> {
  const { username, auth } = authFor(s, opts.kind ?? 'root');
  const server = await client.servers.create({
    name: opts.name ?? `${s.name}-${opts.kind ?? 'root'}-${Math.random().toString(36).slice(2, 7)}`,
    host: s.host,
    port: s.port,
    username,
    auth,
    jumpServerId: opts.jumpServerId ?? null,
    ...(opts.maxSessions ? { settings: { maxSessions: opts.maxSessions } } : {}),
  });
  if (opts.trust !== false && server.hostKeys.length === 0) {
    return client.servers.trustHostKey({ id: server.id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: false });
  }
  return server;
}
