import type Docker from 'dockerode';
import { SERVICE_IMAGES } from '../../../shared/contract/images.ts';
import type { ImageOverrides } from '../../../shared/contract/proxy.ts';
import type { BuildAndPushInput, PushedImage } from '../../../shared/contract/registry.ts';
import { withTimeout } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { dockerError } from '../docker/errors.ts';
import { execInContainer } from '../docker/exec.ts';
import { ensureImage } from '../docker/images.ts';
import { runOnce } from '../docker/run-once.ts';
import { resolveImage } from '../proxy/images.ts';
import BUILD from './build.sh?raw';
import { call, expectStatus, MANIFEST_TYPES, type V2Target } from './v2.ts';

/** Build once on a chosen server, push with auth, pull by digest elsewhere; retention of an app's tags. */

export interface ImageDeps {
  docker: (serverId: string) => Promise<Docker>;
  client: (serverId: string) => Promise<DockerClient>;
  server: (serverId: string) => { id: string; name: string; host: string };
  dockerSocket: (serverId: string) => Promise<string>;
  imageOverrides: (serverId: string) => ImageOverrides;
}

const BUILD_MS = 30 * 60_000;
const TRANSFER_MS = 20 * 60_000;
const MAPPING = { mapping: 'the image overrides' };

function authOf(target: V2Target) {
  return { username: target.username, password: target.password, serveraddress: target.host };
}

/** Follows a push or pull stream; an `error` event fails it. Returns the events. */
function follow(api: Docker, stream: NodeJS.ReadableStream): Promise<{ aux?: { Digest?: string }; error?: string }[]> {
  return new Promise((resolve, reject) => {
    api.modem.followProgress(
      stream,
      (err: Error | null, events: { aux?: { Digest?: string }; error?: string }[]) => {
        if (err) return reject(err);
        const failed = events.find((e) => e.error);
        return failed ? reject(new Error(failed.error)) : resolve(events);
      },
    );
  });
}

export async function buildAndPush(deps: ImageDeps, target: V2Target, input: BuildAndPushInput): Promise<PushedImage> {
  const server = deps.server(input.buildServerId);
  const api = await deps.docker(server.id);
  const repo = `${target.host}/${input.app}`;
  const ref = `${repo}:${input.deployId}`;
  const started = Date.now();
  if (input.source.kind === 'image') {
    const source = input.source.image;
    await ensureImage(api, source, MAPPING);
    await api.getImage(source).tag({ repo, tag: input.deployId }).catch((e: unknown) => Promise.reject(dockerError(e, `tagging ${source} on ${server.name}`)));
  } else {
    const builder = resolveImage(SERVICE_IMAGES.builder, deps.imageOverrides(server.id));
    await ensureImage(api, builder, MAPPING);
    await runOnce(
      api,
      {
        Image: builder,
        Entrypoint: ['sh', '-c', BUILD],
        Env: [`OP_GIT_URL=${input.source.url}`, `OP_GIT_REF=${input.source.ref ?? ''}`, `OP_TARGET=${ref}`, 'DOCKER_BUILDKIT=0'],
        HostConfig: { NetworkMode: 'host', Binds: [`${await deps.dockerSocket(server.id)}:/var/run/docker.sock`] },
      },
      { what: `building ${input.app} on ${server.name}`, timeoutMs: BUILD_MS, tailLines: 15 },
    );
  }
  const buildMs = Date.now() - started;
  const digest = await pushTag(api, target, { app: input.app, tag: input.deployId, serverName: server.name });
  return { ref, digest, byDigest: `${repo}@${digest}`, buildMs };
}

/** Pushes `<registry>/<app>:<tag>` from a server with the registry's credentials (X-Registry-Auth); returns the digest. */
export async function pushTag(api: Docker, target: V2Target, opts: { app: string; tag: string; serverName: string }): Promise<string> {
  const repo = `${target.host}/${opts.app}`;
  let events: { aux?: { Digest?: string } }[];
  try {
    events = await withTimeout(
      async () => follow(api, await api.getImage(repo).push({ tag: opts.tag, authconfig: authOf(target) })),
      TRANSFER_MS,
      `pushing ${repo}:${opts.tag}`,
    );
  } catch (e) {
    throw new AppError('REMOTE_COMMAND_FAILED', `registry ${target.name} (${target.host}): pushing ${opts.app}:${opts.tag} from ${opts.serverName} failed: ${errorMessage(e)}. The image stays on ${opts.serverName}; nothing was removed.`);
  }
  const digest = events.map((e) => e.aux?.Digest).find((d): d is string => !!d);
  if (!digest) throw new AppError('REMOTE_COMMAND_FAILED', `registry ${target.name}: the push of ${repo}:${opts.tag} reported no digest`);
  return digest;
}

/** The credentials as the Engine API takes them (X-Registry-Auth): pushes, pulls, Swarm service create/update. */
export function registryAuth(target: V2Target): { username: string; password: string; serveraddress: string } {
  return authOf(target);
}

export async function pullByDigest(deps: Pick<ImageDeps, 'docker'> & { server: (serverId: string) => { name: string } }, target: V2Target, serverId: string, app: string, digest: string): Promise<{ ref: string; imageId: string }> {
  const server = deps.server(serverId);
  const api = await deps.docker(serverId);
  const repo = `${target.host}/${app}`;
  const ref = `${repo}@${digest}`;
  try {
    // fromImage + tag=<digest>: dockerode's own pull would split the reference at the digest's colon.
    await withTimeout(async () => follow(api, (await api.createImage(authOf(target), { fromImage: repo, tag: digest })) as NodeJS.ReadableStream), TRANSFER_MS, `pulling ${ref}`);
  } catch (e) {
    throw new AppError('REMOTE_COMMAND_FAILED', `registry ${target.name} (${target.host}): pulling ${app}@${digest} on ${server.name} failed: ${errorMessage(e)}`);
  }
  const image = (await api.getImage(ref).inspect()) as { Id: string };
  return { ref, imageId: image.Id };
}

interface TagInfo {
  tag: string;
  digest: string;
  created: number;
}

async function tagInfo(target: V2Target, app: string, tag: string): Promise<TagInfo> {
  const manifest = expectStatus(target, await call(target, 'GET', `/v2/${app}/manifests/${encodeURIComponent(tag)}`, { accept: MANIFEST_TYPES }), [200], `manifest ${app}:${tag}`);
  const digest = String(manifest.headers['docker-content-digest'] ?? '');
  const config = (JSON.parse(manifest.body.toString('utf8')) as { config?: { digest?: string } }).config?.digest;
  let created = 0;
  if (config) {
    const blob = await call(target, 'GET', `/v2/${app}/blobs/${config}`);
    if (blob.status === 200) created = Date.parse((JSON.parse(blob.body.toString('utf8')) as { created?: string }).created ?? '') || 0;
  }
  return { tag, digest, created };
}

/** Keeps the `keep` newest tags (by the image's creation time), deletes the others' manifests, then garbage-collects blobs. */
export async function collectGarbage(deps: ImageDeps, target: V2Target, opts: { serverId: string; container: string; app: string; keep: number }): Promise<{ deleted: string[]; kept: string[] }> {
  const list = expectStatus(target, await call(target, 'GET', `/v2/${opts.app}/tags/list`), [200], `the tags of ${opts.app}`);
  const tags = (JSON.parse(list.body.toString('utf8')) as { tags?: string[] | null }).tags ?? [];
  const infos = (await Promise.all(tags.map((t) => tagInfo(target, opts.app, t)))).sort((a, b) => b.created - a.created || b.tag.localeCompare(a.tag));
  const kept = infos.slice(0, opts.keep);
  const keptDigests = new Set(kept.map((k) => k.digest));
  const deleted: string[] = [];
  for (const old of infos.slice(opts.keep)) {
    // A manifest shared with a kept tag stays: deleting it would delete that tag too.
    if (keptDigests.has(old.digest) || !old.digest) continue;
    const r = await call(target, 'DELETE', `/v2/${opts.app}/manifests/${old.digest}`);
    if (r.status !== 404) expectStatus(target, r, [202], `deleting ${opts.app}:${old.tag}`);
    deleted.push(old.tag);
  }
  if (deleted.length > 0) {
    const r = await execInContainer(await deps.client(opts.serverId), opts.container, ['registry', 'garbage-collect', '/etc/docker/registry/config.yml']);
    if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `registry ${target.name}: garbage-collect failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-400)}`);
  }
  return { deleted, kept: kept.map((k) => k.tag) };
}
