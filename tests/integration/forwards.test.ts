import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

function firstBytes(port: number, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) {
        sock.destroy();
        resolve(data);
      }
    });
    sock.on('error', reject);
    if (send) sock.write(send);
  });
}

describe('port forwards and known_hosts import (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create();
    s = await bed.addServer({ name: 'fwd', images: ['busybox'] });
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('pins host keys from a known_hosts file, then connects without asking', async () => {
    const server = await addServer(app.client, s, { name: 'fwd', trust: false });
    const result = await app.client.servers.importKnownHosts({ text: `# mine\n${s.knownHostsLines()}\n` });
    expect(result).toEqual({ pinned: ['fwd'], alreadyPinned: [], conflicts: [] });
    expect((await app.client.servers.get({ id: server.id })).hostKeys.map((k) => k.source)).toContain('known_hosts');
    expect((await app.client.servers.test({ id: server.id })).ok).toBe(true);
    expect((await app.client.servers.importKnownHosts({ text: s.knownHostsLines() })).alreadyPinned).toEqual(['fwd']);
  });

  it('forwards a local port to the server and to a container on it', async () => {
    const [server] = await app.client.servers.list();
    const sshd = await app.client.forwards.start({ serverId: server!.id, remotePort: 22 });
    expect(sshd.localHost).toBe('127.0.0.1');
    expect(await firstBytes(sshd.localPort)).toMatch(/^SSH-2\.0-OpenSSH/);

    await s.exec(['docker', 'run', '-d', '--name', 'web', BUSYBOX_TAG, 'httpd', '-f', '-p', '8080', '-h', '/etc'], { check: true });
    const ip = (await s.exec(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'web'], { check: true })).stdout.trim();
    const web = await app.client.forwards.start({ serverId: server!.id, remoteHost: ip, remotePort: 8080 });
    const response = await firstBytes(web.localPort, 'GET /hostname HTTP/1.0\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.[01] 200/);
    expect((await app.client.forwards.list()).map((f) => f.remotePort).sort()).toEqual([22, 8080]);

    const busy = await rpcError(app.client.forwards.start({ serverId: server!.id, remotePort: 22, localPort: web.localPort }));
    expect(busy).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/localPort/) });

    expect(await app.client.forwards.stop({ id: web.id })).toEqual({ stopped: true });
    await expect(firstBytes(web.localPort)).rejects.toThrow(/ECONNREFUSED/);
    // One SSH connection carried all of it.
    const conns = await s.exec(['ss', '-Htn', 'state', 'established', '( sport = :22 )'], { check: true });
    expect(conns.stdout.trim().split('\n').filter(Boolean)).toHaveLength(1);
  });
});
