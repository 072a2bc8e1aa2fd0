import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { and, eq } from 'drizzle-orm';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { hostKeys } from '../db/schema.ts';
import type { HostKeyDecision, HostKeyVerifier, SshEndpoint } from './connection.ts';
import { algorithmsForKeyType, type HostKeyInfo } from './host-key.ts';

export interface HostKeyPrompt {
  id: string;
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  expiresAt: number;
}

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
  private readonly waiting = new Map<string, { prompt: HostKeyPrompt; resolve: (ok: boolean) => void }>();
  private readonly db: Db;
  /** How long a connection waits for the user to answer a first-use prompt. */
  promptTimeoutMs = 120_000;
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

  async verify(endpoint: SshEndpoint, key: HostKeyInfo): Promise<HostKeyDecision> {
    const pins = this.pins(endpoint.host, endpoint.port);
    const same = pins.find((p) => p.keyType === key.keyType);
    if (same) {
      if (same.fingerprint === key.fingerprint) return { ok: true };
      return { ok: false, error: changed(endpoint, same, key) };
    }
    if (pins.length > 0) return { ok: false, error: changed(endpoint, pins[0]!, key) };
    const accepted = await this.ask(endpoint, key);
    if (!accepted) {
      return {
        ok: false,
        error: new AppError(
          'HOST_KEY_UNKNOWN',
          `The host key of ${endpoint.host}:${endpoint.port} is not trusted yet (${key.keyType} ${key.fingerprint}). Compare the fingerprint with the server's (ssh-keygen -lf /etc/ssh/ssh_host_${key.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub) and trust it.`,
          { host: endpoint.host, port: endpoint.port, keyType: key.keyType, fingerprint: key.fingerprint },
        ),
      };
    }
    this.pin({ host: endpoint.host, port: endpoint.port, keyType: key.keyType, fingerprint: key.fingerprint, source: 'tofu' });
    return { ok: true };
  }

  private ask(endpoint: SshEndpoint, key: HostKeyInfo): Promise<boolean> {
    if (this.promptListeners <= 0) return Promise.resolve(false);
    const prompt: HostKeyPrompt = { id: randomUUID(), host: endpoint.host, port: endpoint.port, keyType: key.keyType, fingerprint: key.fingerprint, expiresAt: Date.now() + this.promptTimeoutMs };
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(prompt.id, false), this.promptTimeoutMs);
      timer.unref?.();
      this.waiting.set(prompt.id, {
        prompt,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
      this.emit('prompt', prompt);
    });
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
    return this.settle(id, accept);
  }

  private settle(id: string, ok: boolean): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    this.waiting.delete(id);
    w.resolve(ok);
    this.emit('resolved', id);
    return true;
  }
}

function changed(endpoint: SshEndpoint, pinned: Pin, key: HostKeyInfo): AppError {
  return new AppError(
    'HOST_KEY_CHANGED',
    `REFUSED: the host key of ${endpoint.host}:${endpoint.port} changed. Pinned ${pinned.keyType} ${pinned.fingerprint}, now offered ${key.keyType} ${key.fingerprint}. ` +
      'This can mean the server was reinstalled, or that someone is intercepting the connection. Verify with the server’s administrator before trusting the new key.',
    { host: endpoint.host, port: endpoint.port, expected: pinned.fingerprint, expectedType: pinned.keyType, actual: key.fingerprint, actualType: key.keyType },
  );
}
