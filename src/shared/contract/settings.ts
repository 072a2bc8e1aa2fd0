import { z } from 'zod';
import { base } from './base.ts';

export const Theme = z.enum(['light', 'dark', 'system']);
export const Settings = z.object({
  theme: Theme,
  notifications: z.boolean(),
});
export type Settings = z.infer<typeof Settings>;

export const settings = {
  get: base.output(Settings),
  update: base.meta({ mutating: true }).input(Settings.partial().strict()).output(Settings),
};
