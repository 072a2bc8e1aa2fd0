import type { Client } from 'ssh2';

interface ParsedKey {
  isPrivateKey?: () => boolean;
  sign?: (data: Buffer, hash?: string) => Buffer | Error;
}

type Signer = (data: Buffer, done: (signature: Buffer) => void) => void;

interface ClientProtocol {
  authPK(username: string, key: unknown, keyAlgo?: string | Signer, sign?: Signer): void;
  service(name: string): void;
  _handlers?: { SERVICE_ACCEPT?: (proto: unknown, name: string) => void };
}

const protocolOf = (client: Client) => (client as unknown as { _protocol?: ClientProtocol })._protocol;

/** The hash ssh2 itself pairs with each public-key signature algorithm (client.js getKeyAlgos). */
function hashFor(keyAlgo: string | undefined): string | undefined {
  if (keyAlgo === 'rsa-sha2-256') return 'sha256';
  if (keyAlgo === 'rsa-sha2-512') return 'sha512';
  if (keyAlgo === 'ssh-rsa') return 'sha1';
  return undefined;
}

/**
 * Public-key authentication in one round trip instead of two. ssh2 first asks whether the server would accept the
 * key (USERAUTH_PK_OK) and signs only then; RFC 4252 §7 lets a client send the signed request directly. Only a
 * private key held here is signed at once: an agent's key keeps the query (an agent may ask the user per signature).
 * Reaches into ssh2's protocol object, so it checks the shape first and otherwise leaves ssh2 as it is.
 * Call right after `client.connect()`. Returns whether it is in effect.
 */
export function signPublicKeyDirectly(client: Client): boolean {
  const proto = protocolOf(client);
  if (!proto || typeof proto.authPK !== 'function') return false;
  const original = proto.authPK.bind(proto);
  proto.authPK = (username, key, keyAlgo, sign) => {
    const parsed = key as ParsedKey;
    if (sign || typeof keyAlgo === 'function' || typeof parsed.sign !== 'function' || parsed.isPrivateKey?.() !== true) {
      original(username, key, keyAlgo, sign);
      return;
    }
    let failed = false;
    original(username, key, keyAlgo, (data, done) => {
      const signature = parsed.sign!(data, hashFor(keyAlgo));
      if (signature instanceof Error) failed = true;
      else done(signature);
    });
    // A key that cannot sign this way takes ssh2's own path (the query), which reports the error.
    if (failed) original(username, key, keyAlgo);
  };
  return true;
}

/**
 * Sends the first authentication request right behind the `ssh-userauth` service request instead of waiting for
 * SERVICE_ACCEPT: one round trip less. A server reads packets in order, so by the time it reads the request it has
 * accepted the service (OpenSSH's sshd installs its USERAUTH_REQUEST handler while handling the service request,
 * auth2.c). The server's SERVICE_ACCEPT still arrives and is then ignored. Call right after `client.connect()`.
 */
export function pipelineUserauth(client: Client): boolean {
  const proto = protocolOf(client);
  const handlers = proto?._handlers;
  const accepted = handlers?.SERVICE_ACCEPT;
  if (!proto || typeof proto.service !== 'function' || !handlers || typeof accepted !== 'function') return false;
  const service = proto.service.bind(proto);
  proto.service = (name) => {
    service(name);
    if (name !== 'ssh-userauth') return;
    handlers.SERVICE_ACCEPT = (p, accepting) => {
      if (accepting !== 'ssh-userauth') accepted(p, accepting);
    };
    accepted(proto, name);
  };
  return true;
}
