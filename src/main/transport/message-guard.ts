import { z } from 'zod';

/**
 * Shape check of an oRPC peer message before it reaches the handler, so a malformed frame is refused
 * with MALFORMED_MESSAGE instead of being logged and dropped.
 */
const Id = z.union([z.string().max(64), z.number().int()]);
const RequestMessage = z.object({
  i: Id,
  t: z.literal(1).optional(),
  p: z.object({ u: z.string().startsWith('/').max(512), b: z.unknown().optional(), h: z.record(z.string(), z.unknown()).optional(), m: z.string().max(10).optional() }),
});
const IteratorMessage = z.object({ i: Id, t: z.literal(3), p: z.object({ e: z.enum(['message', 'error', 'done']), d: z.unknown().optional(), m: z.unknown().optional() }) });
const AbortMessage = z.object({ i: Id, t: z.literal(4), p: z.unknown().optional() });
const PeerMessage = z.union([RequestMessage, IteratorMessage, AbortMessage]);

const DELIMITER = 0xff;

export function isWellFormedPeerMessage(raw: string | Uint8Array): boolean {
  let jsonText: string;
  if (typeof raw === 'string') jsonText = raw;
  else {
    const at = raw.indexOf(DELIMITER);
    jsonText = new TextDecoder('utf-8', { fatal: false }).decode(at === -1 ? raw : raw.subarray(0, at));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch {
    return false;
  }
  return PeerMessage.safeParse(parsed).success;
}
