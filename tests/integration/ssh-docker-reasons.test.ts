import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

describe('why Docker is unavailable: the real reason of each attempt (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'sshdr' });
    s = await bed.addServer({ name: 'dr' });
    // sudouser: not in the docker group; without this file (private to the server) sudo wants a password too.
    await s.exec(['rm', '-f', '/etc/sudoers.d/openpanel-testbed'], { check: true });
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('names what the server said for each transport, and the socket path setting among the fixes', async () => {
    // Positive control: the account really has no way to Docker.
    const direct = await s.exec(['su', '-s', '/bin/sh', 'sudouser', '-c', 'sudo -n true; docker version --format x']);
    expect(direct.stderr).toMatch(/password is required/);
    expect(direct.stderr).toMatch(/permission denied/i);

    const id = (await addServer(app.client, s, { kind: 'sudo', name: 'dr-sudo' })).id;
    const r = await app.client.servers.test({ id });
    const docker = r.steps.find((st) => st.id === 'docker')!;
    expect(docker).toMatchObject({ status: 'error', errorCode: 'DOCKER_UNAVAILABLE' });
    expect(docker.detail).not.toMatch(/socket hang up/);
    expect(docker.detail).toMatch(/sudo -n docker system dial-stdio over SSH exec: .*sudo: a password is required/);
    expect(docker.detail).toMatch(/- docker system dial-stdio over SSH exec: .*permission denied/i);
    expect(docker.detail).toMatch(/Docker socket path \(now \/var\/run\/docker\.sock/);
    const err = await rpcError(app.client.servers.containers({ id }));
    expect(err.code).toBe('DOCKER_UNAVAILABLE');
    expect(err.message).toMatch(/a password is required/);
  });

  it('ends the Docker event stream with DOCKER_UNAVAILABLE instead of retrying it forever', async () => {
    const id = (await addServer(app.client, s, { kind: 'sudo', name: 'dr-events' })).id;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 30_000);
    const items: unknown[] = [];
    const ended = await (async () => {
      try {
        for await (const item of await app.client.servers.dockerEvents({ id }, { signal: ac.signal })) items.push(item);
        return { code: 'ENDED_WITHOUT_ERROR', message: '' };
      } catch (e) {
        return e as { code: string; message: string };
      } finally {
        clearTimeout(timer);
      }
    })();
    expect(ac.signal.aborted, 'the stream was still retrying after 30 s').toBe(false);
    expect(ended.code).toBe('DOCKER_UNAVAILABLE');
    expect(ended.message).toMatch(/a password is required/);
    expect(items).toEqual([]);
  });
});
