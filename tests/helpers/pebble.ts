// pebble (Debian's offline ACME test server) in a container on a test server's proxy network, with a listener
// certificate made here (pebble ships none). The proxy is pointed at PEBBLE_DIR with the listener CA as its ACME root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from '../testbed/index.ts';

export const PEBBLE_DIR = 'https://pebble:14000/dir';

/** A CA for pebble's own HTTPS listener and its certificate for the name `pebble`. */
export function pebbleListenerCertificates(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'openpanel-pebble-'));
  try {
    const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=OpenPanel test ACME listener CA']);
    ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'req.csr', '-subj', '/CN=pebble']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:pebble\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    ossl(['x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'cert.pem']);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs pebble (image `image`) on the `openpanel` network; `hosts` are resolved inside it (name → address).
 * `publishManagement`: its management port 15000 (roots, certificate status) published on the server.
 */
export async function startPebble(s: TestServer, image: string, listener: { cert: string; key: string }, hosts: Record<string, string>, opts: { publishManagement?: boolean } = {}): Promise<void> {
  const config = { pebble: { listenAddress: '0.0.0.0:14000', managementListenAddress: '0.0.0.0:15000', certificate: '/pebble/cert.pem', privateKey: '/pebble/key.pem', httpPort: 80, tlsPort: 443, ocspResponderURL: '', externalAccountBindingRequired: false } };
  const files: Record<string, string> = { 'config.json': JSON.stringify(config), 'cert.pem': listener.cert, 'key.pem': listener.key };
  for (const [name, text] of Object.entries(files)) await s.exec(['sh', '-c', 'mkdir -p /tmp/pebble && cat > "/tmp/pebble/$0"', name], { input: text, check: true });
  const addHosts = Object.entries(hosts).flatMap(([name, address]) => ['--add-host', `${name}:${address}`]);
  await s.exec(['docker', 'run', '-d', '--name', 'pebble', '--network', 'openpanel', ...(opts.publishManagement ? ['-p', '15000:15000'] : []), ...addHosts, '-e', 'PEBBLE_VA_NOSLEEP=1', '-e', 'PEBBLE_WFE_NONCEREJECT=0', '-v', '/tmp/pebble:/pebble:ro', image, 'pebble', '-config', '/pebble/config.json'], { check: true });
}
