import { randomUUID } from 'node:crypto';
import ssh2 from 'ssh2';
import { AppConfig, type App, type AppCreate, type Deploy } from '../../../shared/contract/apps.ts';
import { AppError } from '../core/errors.ts';
import type { SecretsService } from '../secrets/service.ts';
import { composeOf, composeProject } from './compose.ts';
import type { AppRow, DeployStore, StoredConfig } from './store.ts';

type EnvInput = Record<string, string | null> | undefined;

/** Apps as data: configuration in SQLite, deploy key and env values in the keychain. */
export class AppsService {
  private readonly store: DeployStore;
  private readonly secrets: SecretsService;
  private readonly serverExists: (id: string) => boolean;
  private readonly lastDeploy: (appId: string) => Deploy | null;

  constructor(store: DeployStore, secrets: SecretsService, serverExists: (id: string) => boolean, lastDeploy: (appId: string) => Deploy | null) {
    this.lastDeploy = lastDeploy;
    this.store = store;
    this.secrets = secrets;
    this.serverExists = serverExists;
  }

  toApp(row: AppRow): App {
    const c = this.store.config(row);
    const envNames = Object.keys(row.envRefs).sort();
    const source = c.source.kind === 'git' ? { kind: 'git' as const, url: c.source.url, branch: c.source.branch, hasDeployKey: !!row.deployKeyRef, deployKeyPublic: row.deployKeyRef ? (c.source.deployKeyPublic ?? null) : null } : c.source;
    const urls = c.domains.map((d) => `${d.tls ? 'https' : 'http'}://${d.host}`);
    return { ...c, dockerfileOverride: c.dockerfileOverride ?? null, envNames, source, id: row.id, createdAt: row.createdAt, updatedAt: row.updatedAt, lastDeploy: this.lastDeploy(row.id), urls };
  }

  list(serverId?: string): App[] {
    return this.store.apps(serverId).map((r) => this.toApp(r));
  }

  get(id: string): App {
    return this.toApp(this.store.app(id));
  }

  async create(input: AppCreate): Promise<App> {
    const { env, ...config } = input;
    const parsed = this.fixProject(AppConfig.parse({ ...config, envNames: [] }), null);
    if (!this.serverExists(parsed.serverId)) throw new AppError('NOT_FOUND', `serverId: no server with id ${parsed.serverId}`);
    if (this.store.nameTaken(parsed.serverId, parsed.name)) throw new AppError('CONFLICT', `name: an app named ${parsed.name} already exists on this server`);
    this.refuseTakenProject(parsed, null);
    const id = randomUUID();
    const key = parsed.source.kind === 'git' && parsed.source.deployKey ? publicKeyOf(parsed.source.deployKey, parsed.name) : null;
    const deployKeyRef = key && parsed.source.kind === 'git' && parsed.source.deployKey ? (await this.secrets.put(`Deploy key of ${parsed.name}`, 'deploy-key', parsed.source.deployKey)).ref : null;
    const envRefs = await this.writeEnv({}, parsed.name, env);
    const now = Date.now();
    this.store.insertApp({ id, serverId: parsed.serverId, name: parsed.name, config: stored(parsed, key), deployKeyRef, envRefs, createdAt: now, updatedAt: now });
    return this.get(id);
  }

  async update(input: Partial<Omit<AppCreate, 'env'>> & { id: string; env?: EnvInput }): Promise<App> {
    const row = this.store.app(input.id);
    const current = this.store.config(row);
    const { id, env, ...patch } = input;
    if (patch.serverId && patch.serverId !== row.serverId) throw new AppError('INPUT_INVALID', 'serverId: an app cannot move to another server; create a new one');
    // The stored source carries the deploy key's public half, which is not an input field.
    const keptPublic = current.source.kind === 'git' ? (current.source.deployKeyPublic ?? null) : null;
    const currentInput = { ...current, source: current.source.kind === 'git' ? { kind: 'git' as const, url: current.source.url, branch: current.source.branch } : current.source };
    const next = this.fixProject(AppConfig.parse({ ...currentInput, ...patch, envNames: [] }), current.compose?.project ?? null);
    this.refuseTakenProject(next, id);
    if (next.name !== row.name && this.store.nameTaken(row.serverId, next.name, id)) throw new AppError('CONFLICT', `name: an app named ${next.name} already exists on this server`);
    // Containers, images and the proxy's site file carry the name: renaming a deployed app would orphan them.
    if (next.name !== row.name && this.lastDeploy(id)) throw new AppError('INPUT_INVALID', `name: a deployed app cannot be renamed (its containers, images and proxy route are named ${row.name}); create a new app instead`);
    const newKey = next.source.kind === 'git' && next.source.deployKey ? next.source.deployKey : null;
    let publicKey = newKey ? publicKeyOf(newKey, next.name) : keptPublic;
    let deployKeyRef = row.deployKeyRef;
    if (newKey) {
      if (deployKeyRef) await this.secrets.replace(deployKeyRef, `Deploy key of ${next.name}`, 'deploy-key', newKey);
      else deployKeyRef = (await this.secrets.put(`Deploy key of ${next.name}`, 'deploy-key', newKey)).ref;
    }
    if ((next.source.kind !== 'git' || next.source.deployKey === null) && deployKeyRef) {
      await this.secrets.remove(deployKeyRef);
      deployKeyRef = null;
      publicKey = null;
    }
    const envRefs = await this.writeEnv({ ...row.envRefs }, next.name, env);
    this.store.updateApp(id, { name: next.name, config: stored(next, publicKey), deployKeyRef, envRefs, updatedAt: Date.now() });
    return this.get(id);
  }

  /** A fresh ed25519 deploy key: the private half replaces any key in the keychain, the public half is shown to add to the forge. */
  async generateDeployKey(id: string): Promise<App> {
    const row = this.store.app(id);
    const c = this.store.config(row);
    if (c.source.kind !== 'git') throw new AppError('INPUT_INVALID', 'source: only a git source uses a deploy key (this app uploads a local folder)');
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `openpanel-deploy-${c.name}` });
    let deployKeyRef = row.deployKeyRef;
    if (deployKeyRef) await this.secrets.replace(deployKeyRef, `Deploy key of ${c.name}`, 'deploy-key', pair.private);
    else deployKeyRef = (await this.secrets.put(`Deploy key of ${c.name}`, 'deploy-key', pair.private)).ref;
    const config = { ...c, source: { ...c.source, deployKeyPublic: pair.public.trim() } };
    this.store.updateApp(id, { config, deployKeyRef, updatedAt: Date.now() });
    return this.get(id);
  }

  /** A Compose app without a project name gets one now (op-<name>, or the one it had), so a rename keeps its stack. */
  private fixProject(c: AppConfig, had: string | null): AppConfig {
    if (!c.compose || c.compose.project) return c;
    return { ...c, compose: { ...c.compose, project: had ?? composeProject(c) } };
  }

  private refuseTakenProject(c: AppConfig, exceptId: string | null): void {
    if (!c.compose) return;
    const project = composeProject(c);
    const other = this.store.apps(c.serverId).find((r) => r.id !== exceptId && composeOf(this.store.config(r)) && composeProject(this.store.config(r)) === project);
    if (other) throw new AppError('CONFLICT', `compose.project: the app ${other.name} already runs a stack named ${project} on this server`);
  }

  async removeSecrets(row: AppRow): Promise<void> {
    for (const ref of Object.values(row.envRefs)) await this.secrets.remove(ref);
    if (row.deployKeyRef) await this.secrets.remove(row.deployKeyRef);
  }

  async secretsOf(row: AppRow): Promise<AppSecrets> {
    return appSecrets(this.secrets, row);
  }

  private async writeEnv(refs: Record<string, string>, appName: string, env: EnvInput): Promise<Record<string, string>> {
    const out = { ...refs };
    for (const [name, value] of Object.entries(env ?? {})) {
      const old = out[name];
      if (value === null) {
        if (old) await this.secrets.remove(old);
        delete out[name];
      } else if (old) await this.secrets.replace(old, `${appName} ${name}`, 'app-env', value);
      else out[name] = (await this.secrets.put(`${appName} ${name}`, 'app-env', value)).ref;
    }
    return out;
  }
}

function stored(c: AppConfig, deployKeyPublic: string | null): StoredConfig {
  const source = c.source.kind === 'git' ? { kind: 'git' as const, url: c.source.url, branch: c.source.branch, deployKeyPublic } : c.source;
  return { ...c, source, envNames: [] };
}

/** The OpenSSH public line of a deploy key, checking that the builder's ssh can use it as given. */
function publicKeyOf(privateKey: string, appName: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    throw new AppError('INPUT_INVALID', encrypted
      ? 'source.deployKey: the key is protected by a passphrase, which a deploy job cannot enter; use a key without one (or generate one)'
      : 'source.deployKey: expected a private key in OpenSSH or PEM format (-----BEGIN … PRIVATE KEY-----)');
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) throw new AppError('INPUT_INVALID', 'source.deployKey: that is a public key; paste the private key (the public one goes to the forge)');
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${key.comment || `openpanel-deploy-${appName}`}`;
}

export interface AppSecrets {
  deployKey: string | null;
  env: Record<string, string>;
}

/** An app's deploy key and env values, from the keychain (what a deploy job needs). */
export async function appSecrets(secrets: SecretsService, row: AppRow): Promise<AppSecrets> {
  const env: Record<string, string> = {};
  for (const [name, ref] of Object.entries(row.envRefs)) env[name] = await secrets.require(ref, `env.${name}`);
  const deployKey = row.deployKeyRef ? await secrets.require(row.deployKeyRef, 'source.deployKey') : null;
  return { deployKey, env };
}
