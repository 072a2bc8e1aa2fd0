import type { Duplex } from 'node:stream';
import type { AuthenticationType, ConnectConfig } from 'ssh2';
import type { SshAuth, SshConnectionOptions } from './connection.ts';

/** ssh2's settings for one handshake (without the host-key check, which belongs to the handshake itself). */
export function connectConfig(options: SshConnectionOptions, auth: SshAuth, sock: Duplex | undefined): ConnectConfig {
  const { endpoint } = options;
  const methods: AuthenticationType[] = [];
  if (auth.agent) methods.push('agent');
  if (auth.privateKey) methods.push('publickey');
  if (auth.password) methods.push('password', 'keyboard-interactive');
  const preferred = options.hostKeys.preferredAlgorithms(endpoint);
  return {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.username,
    ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
    ...(auth.privateKey ? { privateKey: auth.privateKey } : {}),
    ...(auth.passphrase ? { passphrase: auth.passphrase } : {}),
    ...(auth.password ? { password: auth.password, tryKeyboard: true } : {}),
    ...(auth.agent ? { agent: auth.agent } : {}),
    // Skip the "none" method round trip: offer exactly what we have, in a fixed order.
    authHandler: methods,
    readyTimeout: 0,
    keepaliveInterval: options.keepaliveIntervalMs ?? 5_000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    ...(preferred ? { algorithms: { serverHostKey: { prepend: preferred } as never } } : {}),
    ...(options.debug ? { debug: options.debug } : {}),
  };
}
