import { z } from 'zod';

/** How a job on a server ended, or that it still runs (what its state.json says). */
export const JobRunStatus = z.enum(['running', 'succeeded', 'failed']);
export type JobRunStatus = z.infer<typeof JobRunStatus>;

/**
 * What every long operation reports, whatever runs it (deploy, Compose, Docker install, backup run): the step it is
 * in, how far it is (0–100, null while unknown) and why it failed. Each domain extends this with its own fields and
 * may narrow `step` to its own steps.
 */
export const JobProgress = z.object({
  step: z.string().nullable(),
  progress: z.number().nullable(),
  error: z.string().nullable(),
});
export type JobProgress = z.infer<typeof JobProgress>;
