import { ProfileFile, type ImportPlanItem, type ProfileServer } from '../../../shared/contract/profiles.ts';
import { AppError } from '../core/errors.ts';
import type { ImportedSecrets, ServersService } from '../hosts/service.ts';
import { openWithPassphrase, sealWithPassphrase } from '../secrets/vault.ts';
import type { HostKeyService } from '../ssh/host-keys.ts';

type Action = 'create' | 'skip' | 'overwrite';

/**
 * Server profiles: a versioned JSON file of servers (address, user, jump chain, pinned host keys, settings).
 * Secrets are left out unless a passphrase is given; then they travel sealed with scrypt + AES-256-GCM.
 * Import validates everything, shows what would change, never overwrites silently and keeps local pins.
 */
export class ProfilesService {
  private readonly servers: ServersService;
  private readonly hostKeys: HostKeyService;

  constructor(servers: ServersService, hostKeys: HostKeyService) {
    this.servers = servers;
    this.hostKeys = hostKeys;
  }

  async export(serverIds: string[], passphrase?: string): Promise<{ fileName: string; content: string; servers: number; includesSecrets: boolean }> {
    // Jump hosts travel with the servers behind them.
    const ids: string[] = [];
    const visit = (id: string) => {
      if (ids.includes(id)) return;
      const s = this.servers.get(id);
      if (s.jumpServerId) visit(s.jumpServerId);
      ids.push(id);
    };
    serverIds.forEach(visit);
    const secretMap: Record<string, ImportedSecrets> = {};
    const list: ProfileServer[] = [];
    for (const id of ids) {
      const { row, settings, secrets } = await this.servers.exportRecord(id, !!passphrase);
      if (passphrase && Object.keys(secrets).length) secretMap[row.id] = secrets;
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
    const file: ProfileFile = {
      format: 'openpanel-profile',
      version: 1,
      exportedAt: new Date().toISOString(),
      servers: list,
      secrets: passphrase ? await sealWithPassphrase(passphrase, Buffer.from(JSON.stringify(secretMap), 'utf8')) : null,
    };
    return { fileName: `openpanel-servers-${file.exportedAt.slice(0, 10)}.json`, content: JSON.stringify(file, null, 2), servers: list.length, includesSecrets: !!passphrase };
  }

  private async read(content: string, passphrase?: string): Promise<{ file: ProfileFile; secrets: Record<string, ImportedSecrets> }> {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch {
      throw new AppError('PROFILE_INVALID', 'content: not a JSON file');
    }
    const parsed = ProfileFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError('PROFILE_INVALID', `content: not an OpenPanel profile (${issue.path.join('.') || 'file'}: ${issue.message})`);
    }
    const file = parsed.data;
    const refs = new Set(file.servers.map((s) => s.ref));
    for (const s of file.servers) if (s.jumpRef && !refs.has(s.jumpRef)) throw new AppError('PROFILE_INVALID', `content: ${s.name} jumps through a server missing from the file`);
    let secrets: Record<string, ImportedSecrets> = {};
    if (file.secrets) {
      if (!passphrase) throw new AppError('INPUT_INVALID', 'passphrase: this profile contains encrypted credentials; enter the passphrase it was exported with');
      const plain = await openWithPassphrase(passphrase, file.secrets).catch(() => {
        throw new AppError('VAULT_WRONG_PASSPHRASE', 'passphrase: wrong passphrase for this profile');
      });
      secrets = JSON.parse(plain.toString('utf8')) as Record<string, ImportedSecrets>;
    }
    return { file, secrets };
  }

  async preview(content: string, passphrase?: string): Promise<ImportPlanItem[]> {
    const { file, secrets } = await this.read(content, passphrase);
    return file.servers.map((s) => this.plan(s, !!secrets[s.ref]));
  }

  private plan(s: ProfileServer, hasSecrets: boolean): ImportPlanItem {
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
      hasSecrets,
    };
  }

  async import(content: string, passphrase: string | undefined, actions: Record<string, Action>) {
    const { file, secrets } = await this.read(content, passphrase);
    const result = { created: [] as string[], updated: [] as string[], skipped: [] as string[], hostKeyConflicts: [] as string[] };
    const idByRef = new Map<string, string>();
    // Jump hosts first.
    const pending = [...file.servers];
    const ordered: ProfileServer[] = [];
    for (let guard = 0; pending.length && guard < 1000; guard++) {
      const i = pending.findIndex((s) => !s.jumpRef || ordered.some((o) => o.ref === s.jumpRef));
      if (i < 0) throw new AppError('PROFILE_INVALID', 'content: the jump chains in this profile loop');
      ordered.push(...pending.splice(i, 1));
    }
    for (const s of ordered) {
      const plan = this.plan(s, !!secrets[s.ref]);
      const action = actions[s.ref] ?? actions[s.name] ?? plan.defaultAction;
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
        jumpServerId: s.jumpRef ? (idByRef.get(s.jumpRef) ?? null) : null,
        settings: s.settings,
        secrets: secrets[s.ref] ?? {},
      });
      idByRef.set(s.ref, server.id);
      (action === 'overwrite' ? result.updated : result.created).push(s.name);
      // Pins: added where none exist; a differing local pin is kept and reported.
      const pins = this.hostKeys.pins(s.host, s.port);
      for (const k of s.hostKeys) {
        const local = pins.find((p) => p.keyType === k.keyType);
        if (!local && pins.length === 0) this.hostKeys.pin({ host: s.host, port: s.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'profile' });
        else if (local && local.fingerprint !== k.fingerprint) result.hostKeyConflicts.push(s.name);
      }
    }
    return result;
  }
}
