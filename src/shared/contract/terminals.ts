import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id } from './base.ts';

/** A container id (or unique prefix) or name, as Docker accepts them. */
export const TerminalContainerRef = z
  .string()
  .min(1, 'expected a container id or name')
  .max(128, 'expected at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a container id or name (letters, digits, _ . -)');

/** One argument of a command: passed as argv (never through a shell string), so anything but NUL is fine. */
export const TerminalCommandArg = z
  .string()
  .max(4096, 'expected at most 4096 characters per argument')
  .refine((a) => !a.includes('\0'), 'expected an argument without NUL bytes');

export const TerminalCols = z.number().int('expected a whole number').min(2, 'expected 2-1000 columns').max(1000, 'expected 2-1000 columns');
export const TerminalRows = z.number().int('expected a whole number').min(1, 'expected 1-500 rows').max(500, 'expected 1-500 rows');

export const TerminalTarget = z.discriminatedUnion('kind', [
  /** The login shell of the server's SSH user. */
  z.object({ kind: z.literal('server') }).strict(),
  /** `docker exec -it` into a running container. */
  z
    .object({
      kind: z.literal('container'),
      containerId: TerminalContainerRef,
      user: z.string().max(64).regex(/^[A-Za-z0-9_.:-]*$/, 'expected a user or uid[:gid]').optional(),
    })
    .strict(),
]);
export type TerminalTarget = z.infer<typeof TerminalTarget>;

export const TerminalOpen = z
  .object({
    serverId: Id,
    target: TerminalTarget.default({ kind: 'server' }),
    /** A program and its arguments instead of the default shell (argv: each element is one word). */
    command: z.array(TerminalCommandArg).min(1, 'expected at least the program name').max(64, 'expected at most 64 arguments').optional(),
    cols: TerminalCols.default(80),
    rows: TerminalRows.default(24),
  })
  .strict();
export type TerminalOpen = z.infer<typeof TerminalOpen>;

export const TerminalInfo = z.object({
  id: z.string(),
  serverId: z.string(),
  serverName: z.string(),
  target: TerminalTarget,
  title: z.string(),
  state: z.enum(['open', 'exited']),
  exitCode: z.number().nullable(),
  exitSignal: z.string().nullable(),
  /** Why it ended, for people ("exited with code 0", "the SSH connection was lost"…). */
  reason: z.string().nullable(),
  cols: z.number(),
  rows: z.number(),
  createdAt: z.number(),
  /** How many clients are attached right now. */
  attached: z.number(),
});
export type TerminalInfo = z.infer<typeof TerminalInfo>;

/**
 * Output is addressed by offsets (UTF-16 code units since the session started), so a client that
 * reattaches (page reload, second window, dropped WebSocket) asks for `since` and gets exactly what it missed,
 * as far as the scrollback still holds it (`from` > `since` says some was dropped).
 */
export const TerminalEvent = z.discriminatedUnion('type', [
  /** First event of an attach with a `window`: the id to acknowledge with. */
  z.object({ type: z.literal('attached'), reader: z.string() }),
  z.object({ type: z.literal('output'), from: z.number(), to: z.number(), data: z.string() }),
  z.object({ type: z.literal('exit'), exitCode: z.number().nullable(), exitSignal: z.string().nullable(), reason: z.string() }),
]);
export type TerminalEvent = z.infer<typeof TerminalEvent>;

const SessionId = z.string().uuid('expected a terminal session id');

export const terminals = {
  /** Opens a shell (or `command`) with a pseudo-terminal on a server or in one of its containers. Audited. */
  open: base.meta({ mutating: true }).input(TerminalOpen).output(TerminalInfo),
  list: base.output(z.array(TerminalInfo)),
  /** The session's output from `since` on, live, then its exit. Several clients may attach at once. */
  attach: base
    .input(
      z
        .object({
          id: SessionId,
          since: z.number().int().min(0).default(0),
          /** Ack-based flow control: at most this many characters unacknowledged in flight (see `ack`). */
          window: z.number().int().min(1024, 'expected at least 1024').max(16 * 1024 * 1024).optional(),
        })
        .strict(),
    )
    .output(eventIterator(TerminalEvent)),
  /** The client rendered output up to `upTo`: more may be sent, and the remote side may write again. */
  ack: base.input(z.object({ id: SessionId, reader: z.string().uuid(), upTo: z.number().int().min(0) }).strict()).output(z.object({ ok: z.boolean() })),
  /** Keystrokes and pastes. Deliberately not audited: they may hold passwords typed at prompts. */
  input: base.input(z.object({ id: SessionId, data: z.string().min(1).max(65_536, 'expected at most 64 KiB per call') }).strict()).output(z.object({ ok: z.boolean() })),
  resize: base.input(z.object({ id: SessionId, cols: TerminalCols, rows: TerminalRows }).strict()).output(z.object({ ok: z.boolean() })),
  /** Ends the process (hang-up) if it still runs and forgets the session. Audited. */
  close: base.meta({ mutating: true }).input(z.object({ id: SessionId }).strict()).output(z.object({ closed: z.boolean() })),
};
