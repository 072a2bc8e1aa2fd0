import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { BootstrapProgress } from '../../src/shared/contract/servers.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

type Progress = z.infer<typeof BootstrapProgress>;

describe('bootstrap: installing Docker on a server that really lacks it (local apt mirror, no internet)', () => {
  let bed: Testbed;
  let app: TestApp;
  let bare: TestServer;
  let odd: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create();
    const mirror = await bed.aptMirror(['docker.io']);
    [bare, odd] = (await bed.addServers([
      { name: 'bare', docker: false, aptMirror: mirror },
      { name: 'odd', docker: false, aptMirror: mirror },
    ])) as [TestServer, TestServer];
    app = await startTestApp();
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  async function collect(id: string): Promise<Progress[]> {
    const out: Progress[] = [];
    for await (const p of await app.client.servers.bootstrap({ id })) out.push(p);
    return out;
  }

  it('installs docker.io with progress as a sudo user, then Docker is reachable; running it again changes nothing', { timeout: 600_000 }, async () => {
    const server = await addServer(app.client, bare, { kind: 'sudo', name: 'bare' });
    const before = await app.client.servers.test({ id: server.id });
    expect(before.steps[3]).toMatchObject({ status: 'error', errorCode: 'DOCKER_UNAVAILABLE', detail: expect.stringMatching(/Bootstrap/) });

    const progress = await collect(server.id);
    expect(progress[0]?.phase).toBe('checking');
    expect(progress.some((p) => p.phase === 'installing')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', exitCode: 0 });
    const steps = new Set(progress.map((p) => p.step).filter(Boolean));
    expect([...steps]).toEqual(expect.arrayContaining(['apt-update', 'install docker.io', 'start docker']));
    const log = progress.map((p) => p.log).join('');
    expect(log).toMatch(/Setting up docker\.io/);
    expect(log).toMatch(/openpanel: docker \S+ is running/);

    const after = await app.client.servers.test({ id: server.id });
    expect(after.steps[3]).toMatchObject({ status: 'ok', detail: expect.stringMatching(/sudo -n docker system dial-stdio/) });
    expect((await app.client.servers.facts({ id: server.id })).dockerVersion).toMatch(/^\d+\./);

    const again = await collect(server.id);
    expect(again.at(-1)).toMatchObject({ phase: 'present' });
  });

  it('refuses clearly on a system it does not know, without installing anything', async () => {
    await odd.sh(`cat > /etc/os-release <<'X'\nPRETTY_NAME="Plan 9 from Bell Labs"\nID=plan9\nX`, { check: true });
    const server = await addServer(app.client, odd, { kind: 'root', name: 'odd' });
    const err = await rpcError(collect(server.id));
    expect(err).toMatchObject({ code: 'UNSUPPORTED_SYSTEM', message: expect.stringMatching(/unsupported system: Plan 9/) });
    expect(await odd.fileExists('/usr/bin/docker')).toBe(false);
  });
});
