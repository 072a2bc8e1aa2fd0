import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id } from './base.ts';

export const HostSample = z.object({
  at: z.number(),
  cpuPercent: z.number().nullable(),
  memUsed: z.number(),
  memTotal: z.number(),
  diskUsed: z.number(),
  diskTotal: z.number(),
  load1: z.number(),
  load5: z.number(),
  load15: z.number(),
  uptime: z.number(),
});
export type HostSample = z.infer<typeof HostSample>;

export const Alert = z.object({
  id: z.string(),
  kind: z.enum(['restart-loop', 'unhealthy', 'unreachable', 'disk']),
  serverId: z.string(),
  containerId: z.string().nullable(),
  message: z.string(),
  at: z.number(),
});
export type Alert = z.infer<typeof Alert>;

export const ServerSnapshot = z.object({
  serverId: z.string(),
  name: z.string(),
  state: z.string(),
  error: z.string().nullable(),
  host: HostSample.nullable(),
  containers: z.object({ running: z.number(), stopped: z.number(), unhealthy: z.number(), total: z.number() }).nullable(),
  alerts: z.array(Alert),
});
export type ServerSnapshot = z.infer<typeof ServerSnapshot>;

export const Range = z.enum(['1h', '6h', '24h']);

export const fleet = {
  overview: base.output(z.array(ServerSnapshot)),
  /** A server's snapshot whenever a sample lands, its containers change or its connection state changes. */
  watch: base.output(eventIterator(ServerSnapshot)),
  hostHistory: base.input(z.object({ serverId: Id, range: Range }).strict()).output(z.array(HostSample)),
  containerHistory: base
    .input(z.object({ serverId: Id, range: Range }).strict())
    .output(z.array(z.object({ containerId: z.string(), name: z.string(), points: z.array(z.object({ at: z.number(), cpuPercent: z.number().nullable(), memUsed: z.number() })) }))),
  /** Alerts as they are raised (restart loops, unhealthy containers, unreachable servers, full disks). */
  alerts: base.output(eventIterator(Alert)),
  /** Samples now instead of at the next tick (the "refresh" button; also used by tests). */
  sampleNow: base.meta({ mutating: true }).input(z.object({ serverId: Id }).strict()).output(ServerSnapshot),
};
