import type { ImportPlanItem, ProfileServer } from '../../../shared/contract/profiles.ts';
import { AppError } from '../core/errors.ts';
import type { ImportedSecrets, ServersService } from '../servers/service.ts';
import type { HostKeyService } from '../ssh/host-keys.ts';
import type { ProfileBackupKey } from '../../../shared/contract/profiles.ts';
import { openProfile, plainProfile, sealProfile, type BackupKeyEntry, type OpenedProfile } from './format.ts';

type Action = 'create' | 'skip' | 'overwrite';
export interface HostKeyConfirmation {
  ref: string;
  keyType: string;
  fingerprint: string;
}
/** The backup keys a sealed profile carries (BackupKeys in services/backups). */
export interface ProfileKeyStore {
  entries(): Promise<BackupKeyEntry[]>;
  plan(entries: BackupKeyEntry[]): Promise<ProfileBackupKey[]>;
  install(targetId: string, content: string, passphrase: undefined, replace: string | undefined): Promise<{ recipient: string; changed: boolean }>;
}
type UnconfirmedKey = { name: string; host: string; port: number; keyType: string; fingerprint: string };

/**
 * Server profiles: a versioned JSON file of servers (address, user, jump chain, pinned host keys, settings).
 * Secrets are left out unless a passphrase is given; then they travel sealed with scrypt + AES-256-GCM and the
 * whole file is authenticated. Host keys from a file the passphrase did not authenticate are pinned only when the
 * user confirms each fingerprint. Import shows what would change, never overwrites silently and keeps local pins.
 */
export class ProfilesService {
  private readonly servers: ServersService;
  private readonly hostKeys: HostKeyService;
  private readonly keys: ProfileKeyStore | null;

  constructor(servers: ServersService, hostKeys: HostKeyService, keys: ProfileKeyStore | null = null) {
    this.servers = servers;
    this.hostKeys = hostKeys;
    this.keys = keys;
  }

  async export(serverIds: string[], passphrase?: string): Promise<{ fileName: string; content: string; servers: number; includesSecrets: boolean; backupKeys: number }> {
    // Jump hosts travel with the servers behind them.
    const ids: string[] = [];
    const visit = (id: string) => {
      if (ids.includes(id)) return;
      const s = this.servers.get(id);
      if (s.jumpServerId) visit(s.jumpServerId);
      ids.push(id);
    };
    serverIds.forEach(visit);
    const secretMap = new Map<string, ImportedSecrets>();
    const list: ProfileServer[] = [];
    for (const id of ids) {
      const { row, settings, secrets } = await this.servers.exportRecord(id, !!passphrase);
      if (passphrase && Object.keys(secrets).length) secretMap.set(row.id, secrets);
      list.push({
        ref: row.id,
        name: row.name,
        host: row.host,
        port: row.port,
        username: row.username,
        auth: row.authMethod === 'key' ? { method: 'key', keyPath: row.keyPath } : { method: row.authMethod },
        jumpRef: row.jumpServerId,
        settings,
        hostKeys: this.hostKeys.pins(row.host, row.port).map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint })),
      });
    }
    const body = { exportedAt: new Date().toISOString(), servers: list };
    // Backup keys travel only sealed: every target's key, so the backups stay recoverable from the profile alone.
    const backupKeys = passphrase && this.keys ? await this.keys.entries() : [];
    const file = passphrase ? await sealProfile(body, passphrase, secretMap, backupKeys) : plainProfile(body);
    return { fileName: `openpanel-servers-${body.exportedAt.slice(0, 10)}.json`, content: JSON.stringify(file, null, 2), servers: list.length, includesSecrets: !!passphrase, backupKeys: backupKeys.length };
  }

  private async read(content: string, passphrase?: string): Promise<OpenedProfile> {
    const opened = await openProfile(content, passphrase);
    const refs = new Set<string>();
    for (const s of opened.servers) {
      if (refs.has(s.ref)) throw new AppError('PROFILE_INVALID', `content: two servers in this profile share the ref ${JSON.stringify(s.ref)}`);
      refs.add(s.ref);
    }
    for (const s of opened.servers) if (s.jumpRef !== null && !refs.has(s.jumpRef)) throw new AppError('PROFILE_INVALID', `content: ${s.name} jumps through a server missing from the file`);
    return opened;
  }

  async preview(content: string, passphrase?: string): Promise<ImportPlanItem[]> {
    const opened = await this.read(content, passphrase);
    return opened.servers.map((s) => this.plan(s, opened));
  }

  async previewBackupKeys(content: string, passphrase?: string): Promise<ProfileBackupKey[]> {
    const opened = await this.read(content, passphrase);
    return this.keys && opened.backupKeys.length ? this.keys.plan(opened.backupKeys) : [];
  }

  /**
   * The chosen keys, checked before anything is imported: each must go to a local target, and a different key than
   * the target's only with `replace` echoing its current recipient (never replaced silently).
   */
  private async keysToInstall(opened: OpenedProfile, chosen: { index: number; replace?: string | undefined }[]): Promise<{ targetId: string; name: string; identity: string; replace: string | undefined }[]> {
    if (chosen.length === 0) return [];
    if (!this.keys) throw new AppError('INPUT_INVALID', 'installBackupKeys: backup keys cannot be installed here');
    const plan = await this.keys.plan(opened.backupKeys);
    return chosen.map((c, i) => {
      const p = plan[c.index];
      if (!p) throw new AppError('INPUT_INVALID', `installBackupKeys.${i}.index: the profile has no backup key ${c.index}`);
      if (!p.match) throw new AppError('INPUT_INVALID', `installBackupKeys.${i}.index: no backup target here uses ${p.target.endpoint} bucket ${p.target.bucket}; add that target first`);
      if (!p.same && c.replace !== p.match.current) {
        throw new AppError('CONFLICT', `installBackupKeys.${i}.replace: the target ${p.match.name} encrypts to ${p.match.current} here and the profile holds ${p.recipient}; confirm by giving the current recipient`);
      }
      return { targetId: p.match.targetId, name: p.match.name, identity: opened.backupKeys[c.index]!.identity, replace: c.replace };
    });
  }

  private plan(s: ProfileServer, opened: OpenedProfile): ImportPlanItem {
    const existing = this.servers.findByName(s.name);
    const changes: string[] = [];
    if (existing) {
      if (existing.host !== s.host) changes.push(`host ${existing.host} → ${s.host}`);
      if (existing.port !== s.port) changes.push(`port ${existing.port} → ${s.port}`);
      if (existing.username !== s.username) changes.push(`user ${existing.username} → ${s.username}`);
      if (existing.authMethod !== s.auth.method) changes.push(`auth ${existing.authMethod} → ${s.auth.method}`);
    }
    const pins = this.hostKeys.pins(s.host, s.port);
    const conflict = s.hostKeys.find((k) => pins.some((p) => p.keyType === k.keyType && p.fingerprint !== k.fingerprint));
    return {
      ref: s.ref,
      name: s.name,
      address: `${s.username}@${s.host}:${s.port}`,
      existingId: existing?.id ?? null,
      defaultAction: existing ? 'skip' : 'create',
      changes,
      hostKeyConflict: conflict ? `${s.host}:${s.port} is pinned to ${pins.find((p) => p.keyType === conflict.keyType)!.fingerprint}; the profile says ${conflict.fingerprint}` : null,
      hasSecrets: opened.secrets.has(s.ref),
      authenticated: opened.authenticated,
      hostKeysToConfirm: opened.authenticated || pins.length ? [] : s.hostKeys.map((k) => ({ keyType: k.keyType, fingerprint: k.fingerprint })),
    };
  }

  async import(content: string, passphrase: string | undefined, actionsIn: Record<string, Action>, confirmations: HostKeyConfirmation[] = [], installBackupKeys: { index: number; replace?: string | undefined }[] = []) {
    const opened = await this.read(content, passphrase);
    const confirmed = checkConfirmations(opened.servers, confirmations);
    const keys = await this.keysToInstall(opened, installBackupKeys);
    const actions = new Map(Object.entries(actionsIn));
    const result = { created: [] as string[], updated: [] as string[], skipped: [] as string[], hostKeyConflicts: [] as string[], unconfirmedHostKeys: [] as UnconfirmedKey[] };
    const idByRef = new Map<string, string>();
    for (const s of jumpHostsFirst(opened.servers)) {
      const plan = this.plan(s, opened);
      const action = actions.get(s.ref) ?? actions.get(s.name) ?? plan.defaultAction;
      if (action === 'skip' || (action === 'create' && plan.existingId)) {
        if (plan.existingId) idByRef.set(s.ref, plan.existingId);
        result.skipped.push(s.name);
        continue;
      }
      const server = await this.servers.upsertImported({
        existingId: action === 'overwrite' ? plan.existingId : null,
        name: s.name,
        host: s.host,
        port: s.port,
        username: s.username,
        authMethod: s.auth.method,
        keyPath: s.auth.method === 'key' ? s.auth.keyPath : null,
        jumpServerId: s.jumpRef !== null ? (idByRef.get(s.jumpRef) ?? null) : null,
        settings: s.settings,
        secrets: opened.secrets.get(s.ref) ?? {},
      });
      idByRef.set(s.ref, server.id);
      (action === 'overwrite' ? result.updated : result.created).push(s.name);
      // Pins: added where none exist (authenticated or confirmed); a differing local pin is kept and reported.
      const pins = this.hostKeys.pins(s.host, s.port);
      for (const k of s.hostKeys) {
        const local = pins.find((p) => p.keyType === k.keyType);
        if (local) {
          if (local.fingerprint !== k.fingerprint) result.hostKeyConflicts.push(s.name);
        } else if (pins.length === 0) {
          if (opened.authenticated || confirmed.has(confirmationKey(s.ref, k.keyType, k.fingerprint))) this.hostKeys.pin({ host: s.host, port: s.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'profile' });
          else result.unconfirmedHostKeys.push({ name: s.name, host: s.host, port: s.port, keyType: k.keyType, fingerprint: k.fingerprint });
        }
      }
    }
    for (const k of keys) await this.keys!.install(k.targetId, k.identity, undefined, k.replace);
    return { ...result, backupKeysInstalled: keys.map((k) => k.name) };
  }
}

function confirmationKey(ref: string, keyType: string, fingerprint: string): string {
  return JSON.stringify([ref, keyType, fingerprint]);
}

/** Every confirmation must echo a key the profile really gives for that server, or nothing is imported. */
function checkConfirmations(servers: ProfileServer[], confirmations: HostKeyConfirmation[]): Set<string> {
  const byRef = new Map(servers.map((s) => [s.ref, s]));
  const out = new Set<string>();
  confirmations.forEach((c, i) => {
    const s = byRef.get(c.ref);
    if (!s) throw new AppError('INPUT_INVALID', `confirmHostKeys.${i}.ref: no server with ref ${JSON.stringify(c.ref)} in this profile`);
    const key = s.hostKeys.find((k) => k.keyType === c.keyType);
    if (!key) throw new AppError('INPUT_INVALID', `confirmHostKeys.${i}.keyType: the profile gives no ${c.keyType} key for ${s.name}`);
    if (key.fingerprint !== c.fingerprint) throw new AppError('INPUT_INVALID', `confirmHostKeys.${i}.fingerprint: does not match the ${c.keyType} key the profile gives for ${s.name}`);
    out.add(confirmationKey(c.ref, c.keyType, c.fingerprint));
  });
  return out;
}

function jumpHostsFirst(servers: ProfileServer[]): ProfileServer[] {
  const pending = [...servers];
  const ordered: ProfileServer[] = [];
  const placed = new Set<string>();
  while (pending.length) {
    const i = pending.findIndex((s) => s.jumpRef === null || placed.has(s.jumpRef));
    if (i < 0) throw new AppError('PROFILE_INVALID', 'content: the jump chains in this profile loop');
    const [s] = pending.splice(i, 1);
    ordered.push(s!);
    placed.add(s!.ref);
  }
  return ordered;
}
