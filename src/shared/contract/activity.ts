import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Timestamp } from './base.ts';

export const AuditEntry = z.object({
  id: z.number().int(),
  at: Timestamp,
  actor: z.string().describe('who: the transport and client, e.g. "web:127.0.0.1" or "desktop"'),
  action: z.string().describe('the procedure path, e.g. "settings.update"'),
  target: z.string().nullable(),
  input: z.string().nullable().describe('the input as JSON with secret fields redacted'),
  result: z.enum(['ok', 'error']),
  errorCode: z.string().nullable(),
  durationMs: z.number().int().nonnegative(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const ActivityListInput = z.object({
  limit: z.number().int().min(1).max(500).default(100),
  beforeId: z.number().int().positive().optional().describe('page: only entries older than this id'),
  action: z.string().max(200).optional().describe('only entries whose action starts with this'),
});

export const activity = {
  list: base.input(ActivityListInput).output(z.array(AuditEntry)),
  /** New audit entries as they are written. */
  watch: base.output(eventIterator(AuditEntry)),
};
