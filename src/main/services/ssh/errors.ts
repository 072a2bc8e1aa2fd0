import { AppError, errorMessage } from '../core/errors.ts';

/** ssh2's errors, translated to stable codes with a message that says what to fix. */
export function sshError(e: unknown, label: string): AppError {
  if (e instanceof AppError) return e;
  const err = e as Error & { level?: string; code?: string };
  const msg = errorMessage(e);
  if (err.level === 'client-authentication') {
    return new AppError('AUTH_FAILED', `Authentication failed for ${label}: the server accepted none of the offered credentials (check the user, key, password or agent).`);
  }
  if (/Encrypted private (OpenSSH )?key detected, but no passphrase given/i.test(msg)) {
    return new AppError('AUTH_FAILED', 'passphrase: the private key is encrypted; enter its passphrase.');
  }
  if (/bad passphrase|Failed to decrypt|Cannot parse privateKey.*(decrypt|passphrase)/i.test(msg)) {
    return new AppError('AUTH_FAILED', 'passphrase: wrong passphrase for the private key.');
  }
  if (/Cannot parse privateKey/i.test(msg)) {
    return new AppError('AUTH_FAILED', `privateKey: not a private key OpenPanel can read (${msg.replace(/^Cannot parse privateKey: /, '')}).`);
  }
  if (err.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(msg)) {
    return new AppError('TIMEOUT', `No SSH handshake from ${label} in time: is the host reachable and running sshd?`);
  }
  if (err.code && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(err.code)) {
    return new AppError('CONNECT_FAILED', `Cannot reach ${label}: ${err.code}${err.code === 'ECONNREFUSED' ? ' (nothing listens on that port)' : ''}.`);
  }
  if (/Keepalive timeout/i.test(msg)) return new AppError('CONNECT_FAILED', `Lost the connection to ${label}: no answer to keep-alives.`);
  if (/Connection lost before handshake/i.test(msg)) {
    return new AppError('CONNECT_FAILED', `SSH connection to ${label} failed: the other side closed the connection before the SSH handshake (is it an SSH server?).`);
  }
  if (/no matching/i.test(msg)) return new AppError('CONNECT_FAILED', `SSH connection to ${label} failed: the server and OpenPanel share no algorithm (${msg}).`);
  if (err.level === 'protocol' || err.level === 'handshake' || /Handshake failed|Bad packet|Invalid typed array|unable to authenticate data/i.test(msg)) {
    return new AppError('CONNECT_FAILED', `SSH connection to ${label} failed during the handshake: the data received is not valid SSH (${msg}). Is the port right, or is something in between altering the connection?`);
  }
  return new AppError('CONNECT_FAILED', `SSH connection to ${label} failed: ${msg}`);
}

/** A channel the server refused to open (MaxSessions, AllowStreamLocalForwarding no, a dead socket…). */
export function isChannelOpenFailure(e: unknown): boolean {
  return /open failed|Channel open failure|administratively prohibited|connect failed/i.test(errorMessage(e));
}
