import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id, Timestamp } from './base.ts';
import { ClusterAppName } from './cluster-apps.ts';

/** A container id (full or short hex) or name, as Docker accepts it in a URL path. */
export const LogsContainerRef = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a container id or name (letters, digits, _ . -)');

export const LogsFollowInput = z
  .object({
    serverId: Id,
    containerIds: z.array(LogsContainerRef).min(1, 'containerIds: pick at least one container').max(16, 'containerIds: at most 16 containers at once'),
    /** Keep the stream open for new lines (default true). */
    follow: z.boolean().default(true),
    /** Only the last N lines of each container; omitted = all. */
    tail: z.number().int().min(0).max(10_000_000).optional(),
    /** Only lines from this time on (ms since the epoch). */
    since: Timestamp.optional(),
    /** Whether lines carry their time (default true). */
    timestamps: z.boolean().default(true),
    /**
     * Flow control: a random id chosen by the client, which acknowledges each batch with `logs.ack` after
     * handling it. At most ~2 MiB (text plus 32 B per line) go unacknowledged; the server reads no further from
     * Docker until acks arrive.
     */
    flowId: Id,
    /** Containers of other servers in the same view, interleaved by time with the first server's. */
    also: z
      .array(z.object({ serverId: Id, containerIds: z.array(LogsContainerRef).min(1, 'expected at least one container per server') }).strict())
      .max(7, 'expected at most 8 servers at once')
      .optional(),
  })
  .strict()
  .refine((i) => i.containerIds.length + (i.also ?? []).reduce((n, a) => n + a.containerIds.length, 0) <= 16, { message: 'expected at most 16 containers at once (all servers together)', path: ['also'] });
export type LogsFollowInput = z.input<typeof LogsFollowInput>;

/**
 * One line: [container index into `containers`, 0 = stdout | 1 = stderr | 2 = the container restarted and the
 * follow re-attached (a marker, not output), time (ms since the epoch, with a fraction) or null, text].
 */
export const LogLine = z.tuple([z.number().int().nonnegative(), z.union([z.literal(0), z.literal(1), z.literal(2)]), z.number().nullable(), z.string()]);
export type LogLine = z.infer<typeof LogLine>;

export const LogsContainer = z.object({
  id: z.string(),
  name: z.string(),
  tty: z.boolean(),
  /** A cluster app's task: the node it runs on (hostname) and its slot (replica number). */
  node: z.string().optional(),
  slot: z.number().int().optional(),
});
export type LogsContainer = z.infer<typeof LogsContainer>;

export const LogBatch = z.object({
  /** 0, 1, 2…: acknowledge with `logs.ack({ flowId, seq })`. */
  seq: z.number().int().nonnegative(),
  /** Interleaved by time across containers. */
  lines: z.array(LogLine),
  /** Indexes of containers whose stream ended (not following, or the container was removed). */
  ended: z.array(z.number().int().nonnegative()),
  /** Bytes of text in this batch. */
  bytes: z.number().int().nonnegative(),
  /** First batch only: what each container index refers to, in the input's order (`containerIds`, then `also`). */
  containers: z.array(LogsContainer).optional(),
  /**
   * The stream's own state when it changes (cluster apps): `reconnecting` after a transient failure (the manager
   * was lost or its connection dropped; another manager that answers is tried), `live` again once it follows.
   */
  status: z.object({ state: z.enum(['live', 'reconnecting']), errorCode: z.string().nullable(), error: z.string().nullable(), retryAt: z.number().nullable() }).optional(),
});
export type LogBatch = z.infer<typeof LogBatch>;

export const LogsFollowAppInput = z
  .object({
    serverId: Id,
    appId: Id,
    /** Only the last N lines of the first container (a container a deploy brings later is shown from its start). */
    tail: z.number().int().min(0).max(10_000_000).optional(),
    timestamps: z.boolean().default(true),
    /** Flow control as in `follow`. */
    flowId: Id,
  })
  .strict();

export const LogsFollowClusterAppInput = z
  .object({
    clusterId: Id,
    /** The cluster app (`clusterApps`) whose tasks are followed, all of them merged. */
    name: ClusterAppName,
    /** Only the last N lines of each task. */
    tail: z.number().int().min(0).max(10_000_000).optional(),
    since: Timestamp.optional(),
    timestamps: z.boolean().default(true),
    /** Flow control as in `follow`. */
    flowId: Id,
  })
  .strict();
export type LogsFollowClusterAppInput = z.input<typeof LogsFollowClusterAppInput>;

export const logs = {
  /** Live logs of one or several containers of a server, interleaved by time, in batches. */
  follow: base.input(LogsFollowInput).output(eventIterator(LogBatch)),
  /**
   * Live logs of an app: its live container (found by the app's labels) is followed, and when a deploy replaces it,
   * the new one, without asking again. Each switch sends `containers` again (index 0 is the app's current container).
   */
  followApp: base.input(LogsFollowAppInput).output(eventIterator(LogBatch)),
  /**
   * Live logs of every task of a cluster app, through a manager's Engine API (service logs), merged by time; each
   * task is a container entry (`name` = `<app>.<slot>@<node>`). Tasks that Swarm starts later (a reschedule, a
   * scale) join the stream, and `containers` is sent again with them. A manager lost: `status` says reconnecting
   * and another manager that answers is used; only a removed app or a permanent error ends the stream.
   */
  followClusterApp: base.input(LogsFollowClusterAppInput).output(eventIterator(LogBatch)),
  /** Acknowledges every batch of a `follow` stream up to `seq` (flow control). */
  ack: base.input(z.object({ flowId: Id, seq: z.number().int().nonnegative() }).strict()).output(z.object({ ok: z.boolean() })),
};
