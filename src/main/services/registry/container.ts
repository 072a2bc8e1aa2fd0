import type Docker from 'dockerode';
import { LABELS } from '../docker/labels.ts';
import { tarball } from '../docker/tar.ts';

/** The registry container: the official image's `registry serve <config>`, TLS and htpasswd from files the app puts in. */

export const CONFIG_DIR = '/etc/docker/registry';
const PORT = '5000/tcp';

export const containerOf = (name: string) => `openpanel-registry-${name}`;
export const volumeOf = (name: string) => `openpanel-registry-${name}-data`;

// No blob descriptor cache: after a garbage collection it would still claim the deleted blobs exist.
export const CONFIG = `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  tls:
    certificate: ${CONFIG_DIR}/tls.crt
    key: ${CONFIG_DIR}/tls.key
auth:
  htpasswd:
    realm: openpanel
    path: ${CONFIG_DIR}/htpasswd
`;

export function containerSpec(opts: { name: string; image: string; bindIp: string; port: number }): Docker.ContainerCreateOptions {
  return {
    name: containerOf(opts.name),
    Image: opts.image,
    Entrypoint: ['registry'],
    Cmd: ['serve', `${CONFIG_DIR}/config.yml`],
    Labels: { [LABELS.managed]: 'true' },
    ExposedPorts: { [PORT]: {} },
    HostConfig: {
      Binds: [`${volumeOf(opts.name)}:/var/lib/registry`],
      PortBindings: { [PORT]: [{ HostIp: opts.bindIp, HostPort: String(opts.port) }] },
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
}

/** The files put into the created container before it starts (the key and htpasswd readable by root only). */
export function configFiles(opts: { cert: string; key: string; htpasswd: string }): Buffer {
  const dir = CONFIG_DIR.slice(1);
  return tarball([
    { name: dir, mode: 0o755 },
    { name: `${dir}/config.yml`, mode: 0o644, data: Buffer.from(CONFIG) },
    { name: `${dir}/tls.crt`, mode: 0o644, data: Buffer.from(opts.cert) },
    { name: `${dir}/tls.key`, mode: 0o600, data: Buffer.from(opts.key) },
    { name: `${dir}/htpasswd`, mode: 0o600, data: Buffer.from(opts.htpasswd) },
  ]);
}
