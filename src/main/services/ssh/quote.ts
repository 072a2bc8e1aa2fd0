/**
 * The one place where argv becomes a remote shell command line. Every value that reaches a remote shell
 * passes through `shellQuote`; nothing else in the app builds command strings.
 */
import { AppError } from '../core/errors.ts';

/** POSIX single-quoting: the result is one word to sh, whatever the input holds. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new AppError('INPUT_INVALID', 'argument: NUL bytes cannot be passed to a remote command');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** argv → a command line for the remote login shell. The first word is a program, never shell syntax. */
export function toCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new AppError('INPUT_INVALID', 'argv: expected at least the program name');
  return argv.map(shellQuote).join(' ');
}

/** A remote absolute path without traversal, safe as a single argument (still quote it). */
export function assertSafeRemotePath(path: string, field: string): string {
  if (!path.startsWith('/')) throw new AppError('INPUT_INVALID', `${field}: expected an absolute path`);
  if (path.includes('\0') || /[\n\r]/.test(path)) throw new AppError('INPUT_INVALID', `${field}: control characters are not allowed`);
  if (path.split('/').some((seg) => seg === '..')) throw new AppError('INPUT_INVALID', `${field}: ".." segments are not allowed`);
  return path;
}
