import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.ts';
import { dockerError, dockerReason, dockerStatus, isDockerConflict, isDockerNotFound, isDockerNotModified } from './errors.ts';

// The errors come from the real dockerode/docker-modem, talking to a loopback server that answers as the Engine
// does (status and JSON body as moby's errdefs writes them), so the mapper sees exactly what a real call throws.
const ANSWERS: Record<string, { status: number; body?: unknown }> = {
  'GET /containers/nope/json': { status: 404, body: { message: 'No such container: nope' } },
  'POST /containers/web/start': { status: 304 },
  'POST /containers/web/rename': { status: 409, body: { message: 'Conflict. The container name "/db" is already in use' } },
  'GET /containers/web/logs': { status: 404, body: { message: 'No such container: web' } },
  'DELETE /volumes/data': { status: 500, body: { message: 'remove data: volume is being used' } },
};

let server: Server;
let docker: Docker;
let closedPort: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = ANSWERS[`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/v[\d.]+/, '')}`] ?? { status: 500, body: { message: 'unexpected request' } };
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  docker = new Docker({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http' });
  const spare = createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise((r) => spare.close(r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

function streamedLogs(id: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    docker.modem.dial(
      { path: `/containers/${id}/logs?`, method: 'GET', isStream: true, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' }, options: {} } as never,
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream)),
    ),
  );
}

describe('dockerError (one mapping by status code)', () => {
  it('404 becomes NOT_FOUND with Docker reason, not the modem prefix', async () => {
    const e = await failure(docker.getContainer('nope').inspect());
    expect(dockerStatus(e)).toBe(404);
    expect(isDockerNotFound(e)).toBe(true);
    expect(isDockerConflict(e)).toBe(false);
    const mapped = dockerError(e, 'inspect nope');
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped).toMatchObject({ code: 'NOT_FOUND', message: 'inspect nope: No such container: nope' });
  });

  it('409 becomes CONFLICT, and a caller message gets the reason', async () => {
    const e = await failure(docker.getContainer('web').rename({ name: 'db' }));
    expect(isDockerConflict(e)).toBe(true);
    expect(dockerError(e, 'rename web', { conflict: (why) => `name: taken (${why})` })).toMatchObject({
      code: 'CONFLICT',
      message: 'name: taken (Conflict. The container name "/db" is already in use)',
    });
  });

  it('304 (already started) is recognised as not modified', async () => {
    const e = await failure(docker.getContainer('web').start());
    expect(isDockerNotModified(e)).toBe(true);
    expect(isDockerNotFound(e)).toBe(false);
  });

  it('another status becomes REMOTE_COMMAND_FAILED', async () => {
    const e = await failure(docker.getVolume('data').remove());
    expect(dockerStatus(e)).toBe(500);
    expect(dockerError(e, 'remove volume data')).toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: 'remove volume data: remove data: volume is being used' });
    expect(dockerError(e, 'x', { other: (why) => `logs: ${why}` }).message).toBe('logs: remove data: volume is being used');
  });

  it('a streamed answer (no parsed body) is mapped by status too, its reason read from the message', async () => {
    const e = await failure(streamedLogs('web'));
    expect((e as { json?: unknown }).json).toBeNull();
    expect(dockerError(e, 'logs', { notFound: (why) => `containerIds: ${why}` })).toMatchObject({ code: 'NOT_FOUND', message: 'containerIds: No such container: web' });
    expect(dockerReason(e)).toBe('No such container: web');
  });

  it('a failure without an answer (refused connection) has no status and becomes REMOTE_COMMAND_FAILED', async () => {
    const refused = new Docker({ host: '127.0.0.1', port: closedPort, protocol: 'http' });
    const e = await failure(refused.getContainer('web').inspect());
    expect(dockerStatus(e)).toBeUndefined();
    expect(dockerError(e, 'inspect web')).toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: expect.stringMatching(/^inspect web: .*ECONNREFUSED/) });
  });

  it('an AppError (e.g. the tunnel lost) passes through unchanged', () => {
    const lost = new AppError('CONNECT_FAILED', 'web1 is unreachable');
    expect(dockerError(lost, 'inspect web')).toBe(lost);
    expect(dockerStatus(Object.assign(new AppError('CONFLICT', 'x'), { statusCode: 404 }))).toBeUndefined();
  });
});
