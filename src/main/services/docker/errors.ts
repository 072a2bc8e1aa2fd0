import type { ErrorCode } from '../../../shared/contract/base.ts';
import { AppError, errorMessage } from '../core/errors.ts';

/** The HTTP status Docker answered with (docker-modem puts it on the error), or undefined for any other failure. */
export function dockerStatus(e: unknown): number | undefined {
  if (e instanceof AppError || typeof e !== 'object' || e === null) return undefined;
  const status = (e as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Docker answered 404: no such container, image, volume, network or exec. */
export function isDockerNotFound(e: unknown): boolean {
  return dockerStatus(e) === 404;
}

/** Docker answered 409: a name in use, a container not running, a volume in use, a network that exists. */
export function isDockerConflict(e: unknown): boolean {
  return dockerStatus(e) === 409;
}

/** Docker answered 304: already started or stopped, which is success for the caller. */
export function isDockerNotModified(e: unknown): boolean {
  return dockerStatus(e) === 304;
}

/**
 * What Docker said, without docker-modem's "(HTTP code N) reason - " prefix: the JSON body's message when there
 * is one (streamed answers have no parsed body), else the error's own message.
 */
export function dockerReason(e: unknown): string {
  const json = (e as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message.trim();
  return errorMessage(e)
    .replace(/^\(HTTP code \d+\) [\w ]+ - /, '')
    .trim();
}

const CODES: Record<number, ErrorCode> = { 404: 'NOT_FOUND', 409: 'CONFLICT' };

/** Messages for the statuses a caller can say more about than Docker's own words (which it receives as `reason`). */
export interface DockerErrorMessages {
  notFound?: (reason: string) => string;
  conflict?: (reason: string) => string;
  /** Any other failure; default `${what}: ${reason}`. */
  other?: (reason: string) => string;
}

/**
 * The one mapping of a Docker error to ours, by status code: 404 → NOT_FOUND, 409 → CONFLICT, anything else
 * (other statuses, a lost channel) → REMOTE_COMMAND_FAILED. An AppError (e.g. CONNECT_FAILED from the tunnel)
 * passes through unchanged. Messages default to `${what}: ${Docker's reason}`.
 */
export function dockerError(e: unknown, what: string, messages: DockerErrorMessages = {}): AppError {
  if (e instanceof AppError) return e;
  const code = CODES[dockerStatus(e) ?? 0] ?? 'REMOTE_COMMAND_FAILED';
  const reason = dockerReason(e);
  const custom = code === 'NOT_FOUND' ? messages.notFound : code === 'CONFLICT' ? messages.conflict : messages.other;
  return new AppError(code, custom ? custom(reason) : `${what}: ${reason}`);
}
