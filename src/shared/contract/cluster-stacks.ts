import { z } from 'zod';
import { base, Id } from './base.ts';
import { ClusterTask } from './cluster-apps.ts';

/** Compose stacks on a cluster: `docker stack deploy` on a manager, run as a remote job. */

/** A stack's name; its services are `<name>_<service>` and its records Swarm configs named after it. */
export const StackName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(30, 'expected at most 30 characters')
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'expected lower-case letters, digits or - (a letter or digit at each end), like shop');

export const MAX_COMPOSE_BYTES = 256 * 1024;

/** The text's length in UTF-8 (no TextEncoder in the shared lib's types). */
function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The Compose file's text (YAML, or JSON); checked by the service before anything reaches a node. */
export const ComposeText = z
  .string()
  .min(1, 'expected the text of a Compose file')
  .max(MAX_COMPOSE_BYTES, `expected at most ${MAX_COMPOSE_BYTES} bytes`)
  .regex(/^[^\0]*$/, 'expected no NUL bytes')
  // Kept as a Swarm config (at most 500 KB of data): bytes, not characters, count.
  .refine((s) => utf8Bytes(s) <= MAX_COMPOSE_BYTES, `expected at most ${MAX_COMPOSE_BYTES} bytes`);

export const StackInput = z
  .object({
    clusterId: Id,
    name: StackName,
    compose: ComposeText,
    /** A registry of the app (private or external) whose credentials the nodes pull the stack's images with. */
    registryId: Id.optional(),
  })
  .strict();
export type StackInput = z.infer<typeof StackInput>;

export const StackRef = z.object({ clusterId: Id, name: StackName }).strict();
export const StackDeployId = z.string().regex(/^d[a-f0-9]{12}$/, 'expected a deploy id like d0123456789ab');

/** running: the job goes on; lost: its runner vanished without a result; unknown: no result and no job to ask. */
export const StackDeployResult = z.enum(['running', 'succeeded', 'failed', 'lost', 'unknown']);

export const StackDeploy = z.object({
  id: z.string(),
  at: z.number(),
  kind: z.enum(['deploy', 'rollback']),
  /** A rollback: the record whose Compose file it deployed again. */
  rollbackOf: z.string().nullable(),
  /** The manager server the job ran on. */
  serverId: z.string(),
  /** The registry whose credentials went with the deploy (a rollback uses it again). */
  registryId: z.string().nullable(),
  result: StackDeployResult,
  error: z.string().nullable(),
  compose: z.string(),
});
export type StackDeploy = z.infer<typeof StackDeploy>;

export const StackService = z.object({
  /** Swarm's name, `<stack>_<service>`, and the Compose name. */
  name: z.string(),
  service: z.string(),
  image: z.string(),
  mode: z.enum(['replicated', 'global']),
  desired: z.number().int(),
  running: z.number().int(),
  tasks: z.array(ClusterTask),
});
export type StackService = z.infer<typeof StackService>;

export const StackJob = z.object({
  deployId: z.string(),
  status: StackDeployResult,
  step: z.string(),
  progress: z.number(),
  error: z.string().nullable(),
  log: z.string(),
});
export type StackJob = z.infer<typeof StackJob>;

export const StackView = z.object({
  clusterId: z.string(),
  name: z.string(),
  services: z.array(StackService),
  /** Newest first (ten kept); the newest succeeded one is what runs. */
  deploys: z.array(StackDeploy),
});
export type StackView = z.infer<typeof StackView>;

export const clusterStacks = {
  /** Starts a deploy job (`docker stack deploy --prune --with-registry-auth`) on the first manager that answers. */
  deploy: base.meta({ mutating: true, secretFields: ['compose'] }).input(StackInput).output(z.object({ deployId: z.string(), view: StackView })),
  get: base.input(StackRef).output(StackView),
  list: base.input(z.object({ clusterId: Id }).strict()).output(z.array(StackView)),
  /** A deploy's job: state and log (the whole log; the job is followed until it ends, also after an app restart). */
  job: base.input(StackRef.extend({ deployId: StackDeployId }).strict()).output(StackJob),
  /** Deploys a kept record's Compose file again, as a new deploy of kind rollback. */
  rollback: base.meta({ mutating: true }).input(StackRef.extend({ deployId: StackDeployId }).strict()).output(z.object({ deployId: z.string(), view: StackView })),
  /** `docker stack rm`, then waits (bounded) until its services are gone; the records go too. */
  remove: base.meta({ mutating: true }).input(StackRef).output(z.object({ removed: z.boolean() })),
};
