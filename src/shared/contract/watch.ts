import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id, patchOf, Timestamp } from './base.ts';
import { JobProgress } from './jobs.ts';

const bounded = (min: number, max: number, what: string, int = true) => {
  const n = int ? z.number().int(`expected a whole number of ${what}`) : z.number();
  return n.min(min, `expected ${what} from ${min} to ${max}`).max(max, `expected ${what} from ${min} to ${max}`);
};

/** Alert thresholds of one server (its rules file is generated from them). */
export const WatchThresholds = z
  .object({
    /** DiskFull: a filesystem fuller than this, in %. */
    diskPercent: bounded(1, 99, 'percent').default(90),
    /** DiskFillingUp: predicted full within this many hours (predict_linear over the last 6 h). */
    diskFillHours: bounded(1, 168, 'hours').default(24),
    /** MemoryHigh: memory used above this, in %. */
    memoryPercent: bounded(1, 100, 'percent').default(90),
    /** LoadHigh: 5-minute load per CPU above this. */
    loadPerCpu: bounded(0.5, 50, 'load per CPU', false).default(2),
    /** ContainerRestartLoop: at least this many restarts … */
    restarts: bounded(1, 100, 'restarts').default(3),
    /** … within this window. */
    restartWindowMinutes: bounded(1, 1440, 'minutes').default(15),
    /** CertificateExpiring: a certificate of an app's domain expiring within this many days. */
    certificateDays: bounded(1, 365, 'days').default(14),
    /** BackupMissed: no success within this factor × the schedule's interval. */
    backupMissedFactor: bounded(1.1, 10, 'times the interval', false).default(1.5),
    /** How long a condition must hold before its alert fires (`for:`; ServerDown, disk, memory, load, probes). */
    pendingSeconds: bounded(0, 3600, 'seconds').default(60),
  })
  .strict();
export type WatchThresholds = z.infer<typeof WatchThresholds>;

export const WatchIntervals = z
  .object({
    /** Scrape and rule evaluation interval (shipped 10 s; tests lower it). */
    scrapeSeconds: bounded(1, 300, 'seconds').default(10),
    evaluateSeconds: bounded(1, 300, 'seconds').default(10),
    /** How often the collector writes containers.prom. */
    collectorSeconds: bounded(1, 300, 'seconds').default(10),
  })
  .strict();
export type WatchIntervals = z.infer<typeof WatchIntervals>;

export const WatchRetention = z
  .object({
    days: bounded(1, 365, 'days').default(15),
    sizeMb: bounded(64, 100_000, 'MB').default(1024),
  })
  .strict();
export type WatchRetention = z.infer<typeof WatchRetention>;

export const WatchSettings = z
  .object({
    thresholds: WatchThresholds.default(WatchThresholds.parse({})),
    intervals: WatchIntervals.default(WatchIntervals.parse({})),
    retention: WatchRetention.default(WatchRetention.parse({})),
  })
  .strict();
export type WatchSettings = z.infer<typeof WatchSettings>;

/** A partial change of the settings: only the fields given change. */
export const WatchSettingsPatch = z
  .object({
    thresholds: patchOf(WatchThresholds).optional(),
    intervals: patchOf(WatchIntervals).optional(),
    retention: patchOf(WatchRetention).optional(),
  })
  .strict();
export type WatchSettingsPatch = z.infer<typeof WatchSettingsPatch>;

export const WatchPart = z.enum(['node-exporter', 'blackbox', 'collector', 'alertmanager', 'prometheus']);
export type WatchPart = z.infer<typeof WatchPart>;

export const WatchContainer = z.object({
  part: WatchPart,
  name: z.string(),
  /** Docker's state (running, restarting, exited…), or 'missing'. */
  state: z.string(),
  image: z.string().nullable(),
  /** Memory used now (docker stats, one shot), bytes; null when not running. */
  memoryBytes: z.number().nullable(),
  memoryLimitBytes: z.number().nullable(),
  restartCount: z.number(),
});
export type WatchContainer = z.infer<typeof WatchContainer>;

/** A server this one's Prometheus scrapes (its node-exporter on the peer's private address). */
export const WatchPeer = z.object({
  serverId: z.string(),
  name: z.string(),
  address: z.string(),
});
export type WatchPeer = z.infer<typeof WatchPeer>;

export const WatchState = z.enum(['off', 'starting', 'on', 'failed', 'stopping']);
export type WatchState = z.infer<typeof WatchState>;

export const WatchStatus = z.object({
  serverId: z.string(),
  /** on: all parts running; failed: turned on but a part is not running (or the last turn-on failed); off: none. */
  state: WatchState,
  /** Why it failed, in words (the step and the reason). */
  error: z.string().nullable(),
  /** Turned on from this app (the setting), whatever the server shows now. */
  enabled: z.boolean(),
  containers: z.array(WatchContainer),
  /** Sum of the containers' memory, bytes. */
  memoryBytes: z.number(),
  peers: z.array(WatchPeer),
  /** Servers whose Prometheus scrapes this one. */
  watchedBy: z.array(WatchPeer),
  /** Domains probed by blackbox (from the server's apps). */
  probes: z.array(z.string()),
  settings: WatchSettings,
  /** When the server was last read; null when it could not be reached (the rest is the stored view). */
  checkedAt: Timestamp.nullable(),
});
export type WatchStatus = z.infer<typeof WatchStatus>;

export const WatchStep = z.enum(['images', 'config', 'volumes', 'containers', 'ready', 'rollback', 'done']);
export const WatchProgress = JobProgress.extend({
  step: WatchStep.nullable(),
  /** The final status, on the last event. */
  status: WatchStatus.nullable(),
});
export type WatchProgress = z.infer<typeof WatchProgress>;

const ServerRef = z.object({ serverId: Id }).strict();

export const watch = {
  status: base.input(ServerRef).output(WatchStatus),
  /** Starts (or re-syncs) the stack: progress per step; a failed step rolls back what this call started. */
  turnOn: base.meta({ mutating: true }).input(ServerRef).output(eventIterator(WatchProgress)),
  /** Removes the containers; data volumes stay unless removeData. */
  turnOff: base
    .meta({ mutating: true })
    .input(z.object({ serverId: Id, removeData: z.boolean().default(false) }).strict())
    .output(WatchStatus),
  settings: base.input(ServerRef).output(WatchSettings),
  /** Changes thresholds/intervals/retention; when Watch is on, the config is rewritten and Prometheus reloaded. */
  setSettings: base.meta({ mutating: true }).input(z.object({ serverId: Id, patch: WatchSettingsPatch }).strict()).output(WatchSettings),
  /** The servers whose node-exporter this server's Prometheus scrapes over their private address. */
  setPeers: base
    .meta({ mutating: true })
    .input(z.object({ serverId: Id, peerIds: z.array(Id).max(32, 'expected at most 32 peers') }).strict())
    .output(WatchStatus),
  /** Each of these servers watches all the others (sets each one's peers). */
  watchEachOther: base
    .meta({ mutating: true })
    .input(z.object({ serverIds: z.array(Id).min(2, 'expected at least 2 servers').max(32, 'expected at most 32 servers') }).strict())
    .output(z.array(WatchStatus)),
  /** Re-reads the app domains and rewrites config + reloads (done by itself after app/domain changes). */
  resync: base.meta({ mutating: true }).input(ServerRef).output(WatchStatus),
};
