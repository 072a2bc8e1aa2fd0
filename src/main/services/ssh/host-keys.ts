import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { and, eq } from 'drizzle-orm';
import type { HostKeyPrompt } from '../../../shared/contract/servers.ts';
import { abortable } from '../core/async.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { hostKeys } from '../db/schema.ts';
import type { HostKeyDecision, HostKeyVerifier, SshEndpoint } from './connection.ts';
import { algorithmsForKeyType, type HostKeyInfo } from './host-key.ts';

export type { HostKeyPrompt };

type Outcome = 'accepted' | 'rejected' | 'expired' | 'cancelled';

export type PinSource = 'tofu' | 'known_hosts' | 'profile' | 'user';

export interface Pin {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  source: PinSource;
  pinnedAt: number;
}

/**
 * Host-key pinning: trust on first use, confirmed by the user through a prompt the UI answers with the
 * SHA-256 fingerprint shown; a changed key is refused with both fingerprints, never accepted silently.
 */
export class HostKeyService extends EventEmitter<{ prompt: [HostKeyPrompt]; resolved: [string] }> implements HostKeyVerifier {
  private readonly waiting = new Map<string, { prompt: HostKeyPrompt; resolve: (outcome: Outcome) => void }>();
  private readonly db: Db;
  /** How long a connection waits for the user to answer a first-use prompt (the handshake timeout is paused meanwhile). */
  promptTimeoutMs = 600_000;
  /** Listeners that can show prompts (UI subscriptions); without any, unknown keys fail with HOST_KEY_UNKNOWN at once. */
  promptListeners = 0;

  constructor(db: Db) {
    super();
    this.db = db;
  }

  pins(host: string, port: number): Pin[] {
    return this.db.select().from(hostKeys).where(and(eq(hostKeys.host, host), eq(hostKeys.port, port))).all() as Pin[];
  }

  pin(p: Omit<Pin, 'pinnedAt'>): void {
    const row = { ...p, pinnedAt: Date.now() };
    this.db.insert(hostKeys).values(row).onConflictDoUpdate({ target: [hostKeys.host, hostKeys.port, hostKeys.keyType], set: { fingerprint: p.fingerprint, source: p.source, pinnedAt: row.pinnedAt } }).run();
  }

  forget(host: string, port: number): void {
    this.db.delete(hostKeys).where(and(eq(hostKeys.host, host), eq(hostKeys.port, port))).run();
  }

  preferredAlgorithms(endpoint: SshEndpoint): string[] | undefined {
    const pins = this.pins(endpoint.host, endpoint.port);
    return pins.length ? pins.flatMap((p) => algorithmsForKeyType(p.keyType)) : undefined;
  }

  /** `signal`: the connection attempt was given up (closed by the user); an open prompt is withdrawn. */
  async verify(endpoint: SshEndpoint, key: HostKeyInfo, signal?: AbortSignal): Promise<HostKeyDecision> {
    const pins = this.pins(endpoint.host, endpoint.port);
    const same = pins.find((p) => p.keyType === key.keyType);
    if (same) {
      if (same.fingerprint === key.fingerprint) return { ok: true };
      return { ok: false, error: changed(endpoint, same, key) };
    }
    if (pins.length > 0) return { ok: false, error: changed(endpoint, pins[0]!, key) };
    const outcome = await this.ask(endpoint, key, signal);
    if (outcome !== 'accepted') return { ok: false, error: unknown(endpoint, key, outcome, this.promptTimeoutMs) };
    this.pin({ host: endpoint.host, port: endpoint.port, keyType: key.keyType, fingerprint: key.fingerprint, source: 'tofu' });
    return { ok: true, asked: true };
  }

  private ask(endpoint: SshEndpoint, key: HostKeyInfo, signal?: AbortSignal): Promise<Outcome> {
    if (this.promptListeners <= 0 || signal?.aborted) return Promise.resolve('rejected');
    const limitMs = this.promptTimeoutMs;
    const prompt: HostKeyPrompt = { id: randomUUID(), host: endpoint.host, port: endpoint.port, keyType: key.keyType, fingerprint: key.fingerprint, expiresAt: Date.now() + limitMs };
    const asked = abortable<Outcome>(signal, (resolve) => {
      const timer = setTimeout(() => this.settle(prompt.id, 'expired', `No answer within ${duration(limitMs)}: the connection attempt was given up. Test the connection again to be asked again.`), limitMs);
      timer.unref?.();
      this.waiting.set(prompt.id, { prompt, resolve });
      this.emit('prompt', prompt);
      // Runs however the wait ends; on an abort the prompt is still open and is withdrawn here.
      return () => {
        clearTimeout(timer);
        this.settle(prompt.id, 'cancelled', `The connection attempt to ${endpoint.host}:${endpoint.port} was closed before an answer.`);
      };
    });
    return asked.catch((e: unknown) => (signal?.aborted ? 'cancelled' : Promise.reject(e)));
  }

  pending(): HostKeyPrompt[] {
    return [...this.waiting.values()].map((w) => w.prompt);
  }

  /** The user's answer. Accepting requires the fingerprint they were shown, so a stale or forged answer cannot pin another key. */
  answer(id: string, accept: boolean, fingerprint?: string): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    if (accept && fingerprint !== w.prompt.fingerprint) {
      throw new AppError('INPUT_INVALID', 'fingerprint: does not match the key the server presented');
    }
    return this.settle(id, accept ? 'accepted' : 'rejected', accept ? 'Trusted in another window.' : 'Rejected in another window.');
  }

  /** Ends a prompt; every listening window is told it is no longer open, and why. */
  private settle(id: string, outcome: Outcome, why: string): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    this.waiting.delete(id);
    w.resolve(outcome);
    this.emit('resolved', id);
    this.emit('prompt', { ...w.prompt, withdrawn: why });
    return true;
  }
}

function duration(ms: number): string {
  return ms < 90_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} minutes`;
}

function unknown(endpoint: SshEndpoint, key: HostKeyInfo, outcome: Exclude<Outcome, 'accepted'>, limitMs: number): AppError {
  const compare = `Compare the fingerprint with the server's (ssh-keygen -lf /etc/ssh/ssh_host_${key.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub) and trust it.`;
  const what = `The host key of ${endpoint.host}:${endpoint.port} is not trusted yet (${key.keyType} ${key.fingerprint})`;
  const why = outcome === 'expired' ? ` and the prompt got no answer within ${duration(limitMs)}` : outcome === 'cancelled' ? ' and the connection attempt was closed while the prompt was open' : '';
  return new AppError('HOST_KEY_UNKNOWN', `${what}${why}. ${compare}`, { host: endpoint.host, port: endpoint.port, keyType: key.keyType, fingerprint: key.fingerprint });
}

function changed(endpoint: SshEndpoint, pinned: Pin, key: HostKeyInfo): AppError {
  return new AppError(
    'HOST_KEY_CHANGED',
    `REFUSED: the host key of ${endpoint.host}:${endpoint.port} changed. Pinned ${pinned.keyType} ${pinned.fingerprint}, now offered ${key.keyType} ${key.fingerprint}. ` +
      'This can mean the server was reinstalled, or that someone is intercepting the connection. Verify with the server’s administrator before trusting the new key.',
    { host: endpoint.host, port: endpoint.port, expected: pinned.fingerprint, expectedType: pinned.keyType, actual: key.fingerprint, actualType: key.keyType },
  );
}
