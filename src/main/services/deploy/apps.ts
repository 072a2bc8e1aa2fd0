import { randomUUID } from 'node:crypto';
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
    const envNames = Object.keys(JSON.parse(row.envRefs) as Record<string, string>).sort();
    const source = c.source.kind === 'git' ? { ...c.source, hasDeployKey: !!row.deployKeyRef } : c.source;
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
    const deployKeyRef = parsed.source.kind === 'git' && parsed.source.deployKey ? (await this.secrets.put(`Deploy key of ${parsed.name}`, 'deploy-key', parsed.source.deployKey)).ref : null;
    const envRefs = await this.writeEnv({}, parsed.name, env);
    const now = Date.now();
    this.store.insertApp({ id, serverId: parsed.serverId, name: parsed.name, config: JSON.stringify(stored(parsed)), deployKeyRef, envRefs: JSON.stringify(envRefs), createdAt: now, updatedAt: now });
    return this.get(id);
  }

  async update(input: Partial<Omit<AppCreate, 'env'>> & { id: string; env?: EnvInput }): Promise<App> {
    const row = this.store.app(input.id);
    const current = this.store.config(row);
    const { id, env, ...patch } = input;
    if (patch.serverId && patch.serverId !== row.serverId) throw new AppError('INPUT_INVALID', 'serverId: an app cannot move to another server; create a new one');
    const next = this.fixProject(AppConfig.parse({ ...current, ...patch, envNames: [] }), current.compose?.project ?? null);
    this.refuseTakenProject(next, id);
    if (next.name !== row.name && this.store.nameTaken(row.serverId, next.name, id)) throw new AppError('CONFLICT', `name: an app named ${next.name} already exists on this server`);
    let deployKeyRef = row.deployKeyRef;
    if (next.source.kind === 'git' && next.source.deployKey) {
      if (deployKeyRef) await this.secrets.replace(deployKeyRef, `Deploy key of ${next.name}`, 'deploy-key', next.source.deployKey);
      else deployKeyRef = (await this.secrets.put(`Deploy key of ${next.name}`, 'deploy-key', next.source.deployKey)).ref;
    }
    if (next.source.kind !== 'git' && deployKeyRef) {
      await this.secrets.remove(deployKeyRef);
      deployKeyRef = null;
    }
    const envRefs = await this.writeEnv(JSON.parse(row.envRefs) as Record<string, string>, next.name, env);
    this.store.updateApp(id, { name: next.name, config: JSON.stringify(stored(next)), deployKeyRef, envRefs: JSON.stringify(envRefs), updatedAt: Date.now() });
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
    for (const ref of Object.values(JSON.parse(row.envRefs) as Record<string, string>)) await this.secrets.remove(ref);
    if (row.deployKeyRef) await this.secrets.remove(row.deployKeyRef);
  }

  async secretsOf(row: AppRow): Promise<{ deployKey: string | null; env: Record<string, string> }> {
    const env: Record<string, string> = {};
    for (const [name, ref] of Object.entries(JSON.parse(row.envRefs) as Record<string, string>)) env[name] = await this.secrets.require(ref, `env.${name}`);
    const deployKey = row.deployKeyRef ? await this.secrets.require(row.deployKeyRef, 'source.deployKey') : null;
    return { deployKey, env };
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

function stored(c: AppConfig): StoredConfig {
  const source = c.source.kind === 'git' ? { kind: 'git' as const, url: c.source.url, branch: c.source.branch } : c.source;
  return { ...c, source, envNames: [] };
}
