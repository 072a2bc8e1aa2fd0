import { z } from 'zod';
import { base } from './base.ts';

export const Theme = z.enum(['light', 'dark', 'system']);
export const AlertSettings = z
  .object({
    restartLoop: z.boolean(),
    unhealthy: z.boolean(),
    unreachable: z.boolean(),
    /** Alert when a server's root filesystem is fuller than this (percent). */
    diskPercent: z.number().int().min(1).max(100),
  })
  .strict();

export const Settings = z.object({
  theme: Theme,
  /** OS notifications (desktop) or toasts (web) for alerts. */
  notifications: z.boolean(),
  alerts: AlertSettings,
  /** How often servers are sampled for metrics (seconds). */
  sampleIntervalSec: z.number().int().min(2).max(300),
});
export type Settings = z.infer<typeof Settings>;

export const settings = {
  get: base.output(Settings),
  update: base.meta({ mutating: true }).input(Settings.partial().strict()).output(Settings),
};
