import { z } from 'zod';
import { JobRunStatus } from '../../../shared/contract/jobs.ts';

/**
 * What every job writes to `state.json` in its job dir (next to its `log`). Domains extend it with their own fields
 * (deploy: image, commit, container, buildMs). Times are seconds since the epoch, as `date +%s` prints them.
 */
export const JobState = z.object({
  status: JobRunStatus,
  step: z.string(),
  progress: z.number(),
  error: z.string(),
  /** When the state was last written. */
  at: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /** Host jobs: the job script's exit code once it ended. */
  exitCode: z.number().optional(),
});
export type JobState = z.infer<typeof JobState>;

/** The largest log chunk one read returns (the read script's `head -c`). */
export const READ_CHUNK = 1048576;
