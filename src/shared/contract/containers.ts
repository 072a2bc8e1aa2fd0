import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id } from './base.ts';

/** A container id or name as Docker accepts it (never passed to a shell; still validated). */
export const ContainerIdOrName = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a container id or name');
export const ContainerName = z.string().min(2).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . - (starting with a letter or digit)');
// These become Docker API URL paths (/volumes/<name>): a '/', '..', '?' or '%' would reach another object.
const VolumeOrNetwork = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a Docker name or id (letters, digits, _ . -)');
const ImageRef = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'expected an image id or reference like nginx:1.27 or sha256:…')
  .refine((r) => !r.split('/').some((seg) => seg === '.' || seg === '..'), 'expected an image reference without . or .. segments');

export const PortMapping = z.object({ privatePort: z.number(), publicPort: z.number().nullable(), type: z.string(), ip: z.string().nullable() });

export const Container = z.object({
  serverId: z.string(),
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  status: z.string(),
  health: z.enum(['healthy', 'unhealthy', 'starting', 'none']),
  ports: z.array(PortMapping),
  created: z.number(),
  managed: z.boolean(),
  cpuPercent: z.number().nullable(),
  memUsed: z.number().nullable(),
  memLimit: z.number().nullable(),
});
export type Container = z.infer<typeof Container>;

export const ContainerInspect = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()),
  created: z.string(),
  startedAt: z.string().nullable(),
  state: z.string(),
  restartCount: z.number(),
  restartPolicy: z.string(),
  health: z.object({ status: z.string(), failingStreak: z.number(), log: z.array(z.object({ exitCode: z.number(), output: z.string(), end: z.string() })) }).nullable(),
  env: z.array(z.object({ name: z.string(), value: z.string().nullable(), masked: z.boolean() })),
  labels: z.record(z.string(), z.string()),
  mounts: z.array(z.object({ type: z.string(), source: z.string(), destination: z.string(), rw: z.boolean() })),
  networks: z.array(z.object({ name: z.string(), ip: z.string() })),
  ports: z.array(PortMapping),
});
export type ContainerInspect = z.infer<typeof ContainerInspect>;

export const ContainerAction = z.enum(['start', 'stop', 'restart', 'kill', 'remove']);

const Target = { serverId: Id, id: ContainerIdOrName };

export const ImageInfo = z.object({ id: z.string(), tags: z.array(z.string()), size: z.number(), sharedSize: z.number(), created: z.number(), containers: z.number() });
export const VolumeInfo = z.object({ name: z.string(), driver: z.string(), size: z.number().nullable(), refCount: z.number().nullable(), created: z.string().nullable() });
export const NetworkInfo = z.object({ id: z.string(), name: z.string(), driver: z.string(), scope: z.string(), containers: z.number(), builtin: z.boolean() });
export const PrunePreview = z.object({ kind: z.enum(['images', 'volumes', 'networks']), items: z.array(z.string()), reclaimableBytes: z.number() });

export const ContainerChange = z.object({ serverId: z.string(), containers: z.array(Container) });

export const containers = {
  /** Containers of the given servers (all servers when omitted), managed by OpenPanel or not. */
  list: base.input(z.object({ serverIds: z.array(Id).optional() }).strict()).output(z.object({ containers: z.array(Container), errors: z.array(z.object({ serverId: z.string(), code: z.string(), message: z.string() })) })),
  /** Each server's container list again whenever Docker reports a change (events, not polling). */
  watch: base.input(z.object({ serverIds: z.array(Id).optional() }).strict()).output(eventIterator(ContainerChange)),
  action: base.meta({ mutating: true }).input(z.object({ ...Target, action: ContainerAction, force: z.boolean().default(false), removeVolumes: z.boolean().default(false) }).strict()).output(z.object({ ok: z.boolean() })),
  rename: base.meta({ mutating: true }).input(z.object({ ...Target, name: ContainerName }).strict()).output(z.object({ ok: z.boolean() })),
  /** Details; environment values are masked unless `reveal` (which is audited). */
  inspect: base.meta({ mutating: false }).input(z.object({ ...Target, reveal: z.boolean().default(false) }).strict()).output(ContainerInspect),
  images: base.input(z.object({ serverId: Id }).strict()).output(z.array(ImageInfo)),
  volumes: base.input(z.object({ serverId: Id }).strict()).output(z.array(VolumeInfo)),
  networks: base.input(z.object({ serverId: Id }).strict()).output(z.array(NetworkInfo)),
  removeImage: base.meta({ mutating: true }).input(z.object({ serverId: Id, id: ImageRef, force: z.boolean().default(false) }).strict()).output(z.object({ ok: z.boolean() })),
  removeVolume: base.meta({ mutating: true }).input(z.object({ serverId: Id, name: VolumeOrNetwork }).strict()).output(z.object({ ok: z.boolean() })),
  removeNetwork: base.meta({ mutating: true }).input(z.object({ serverId: Id, id: VolumeOrNetwork }).strict()).output(z.object({ ok: z.boolean() })),
  /** What a prune would remove and the space it would free, before confirming. */
  prunePreview: base.input(z.object({ serverId: Id, kind: z.enum(['images', 'volumes', 'networks']) }).strict()).output(PrunePreview),
  prune: base.meta({ mutating: true }).input(z.object({ serverId: Id, kind: z.enum(['images', 'volumes', 'networks']) }).strict()).output(z.object({ removed: z.array(z.string()), reclaimedBytes: z.number() })),
};
