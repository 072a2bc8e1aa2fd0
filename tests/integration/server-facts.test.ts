import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

// mawk (Debian's default awk) caps printf "%d" at 2^31-1: memory and disk above 2 GB were reported as 2.0 GB.
describe('server facts agree with the server itself above 2 GB (real sshd, mawk, df)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'facts' });
    s = await bed.addServer({ name: 'facts' });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'facts' })).id;
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('reports memory and disk as /proc/meminfo and df do on the same server', async () => {
    const mem = await s.exec(['awk', '/^MemTotal:/ {print $2}', '/proc/meminfo'], { check: true });
    const df = await s.exec(['sh', '-c', "df -Pk / | awk 'NR==2 {print $2, $4}'"], { check: true });
    const [sizeKb, availKb] = df.stdout.trim().split(' ');
    const expected = { mem: Number(mem.stdout.trim()) * 1024, size: Number(sizeKb) * 1024, avail: Number(availKb) * 1024 };
    // The point of the test: these figures are above what printf "%d" can print in mawk.
    expect(expected.mem).toBeGreaterThan(2 ** 31);
    expect(expected.size).toBeGreaterThan(2 ** 31);

    const facts = await app.client.servers.facts({ id: serverId });
    expect(facts.memoryBytes).toBe(expected.mem);
    expect(facts.diskTotalBytes).toBe(expected.size);
    // Free space moves while other tests write: within 1 GB of what df said a moment ago.
    expect(Math.abs(facts.diskFreeBytes - expected.avail)).toBeLessThan(2 ** 30);
    expect(facts.diskFreeBytes).toBeLessThanOrEqual(facts.diskTotalBytes);
    expect(facts.uptimeSeconds).toBeGreaterThan(0);
  });
});
