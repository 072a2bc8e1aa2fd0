import { z } from 'zod';
import { base } from './base.ts';

export const SystemInfo = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'web']),
  dataDir: z.string(),
  platform: z.string(),
  nodeVersion: z.string(),
  secretBackend: z.enum(['keychain', 'vault', 'none']),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const Diagnostics = z.object({
  activeStreams: z.number().int().nonnegative(),
  uptimeMs: z.number().nonnegative(),
  rssBytes: z.number().nonnegative(),
});
export type Diagnostics = z.infer<typeof Diagnostics>;

export const system = {
  info: base.route({ summary: 'What is running and where its data lives' }).output(SystemInfo),
  diagnostics: base.route({ summary: 'Live counters of the main process' }).output(Diagnostics),
};
