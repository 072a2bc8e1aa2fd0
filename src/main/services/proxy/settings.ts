import { X509Certificate } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { ShipSettings } from '../../../shared/contract/proxy.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { shipSettings } from '../db/schema.ts';
import type { SecretsService } from '../secrets/service.ts';

/** Per-server Ship settings (proxy driver, data dir, ACME, image overrides) and the DNS credentials' references. */
export class ShipSettingsStore {
  private readonly db: Db;
  private readonly secrets: SecretsService;
  private readonly serverExists: (id: string) => boolean;

  constructor(db: Db, secrets: SecretsService, serverExists: (id: string) => boolean) {
    this.db = db;
    this.secrets = secrets;
    this.serverExists = serverExists;
  }

  private row(serverId: string) {
    return this.db.select().from(shipSettings).where(eq(shipSettings.serverId, serverId)).get();
  }

  get(serverId: string): ShipSettings {
    if (!this.serverExists(serverId)) throw new AppError('NOT_FOUND', `serverId: no server with id ${serverId}`);
    const row = this.row(serverId);
    const parsed = ShipSettings.safeParse(row?.settings ?? {});
    return parsed.success ? parsed.data : ShipSettings.parse({});
  }

  async update(serverId: string, patch: Partial<ShipSettings>, dnsEnv?: Record<string, string | null>): Promise<ShipSettings> {
    const next = ShipSettings.parse({ ...this.get(serverId), ...patch });
    checkAcme(next);
    const refs = { ...this.row(serverId)?.dnsEnvRefs };
    for (const [name, value] of Object.entries(dnsEnv ?? {})) {
      const old = refs[name];
      if (value === null) {
        if (old) await this.secrets.remove(old);
        delete refs[name];
      } else if (old) await this.secrets.replace(old, `DNS ${name}`, 'dns-env', value);
      else refs[name] = (await this.secrets.put(`DNS ${name}`, 'dns-env', value)).ref;
    }
    next.dnsEnvNames = Object.keys(refs).sort();
    const values = { settings: next, dnsEnvRefs: refs, updatedAt: Date.now() };
    this.db
      .insert(shipSettings)
      .values({ serverId, ...values })
      .onConflictDoUpdate({ target: shipSettings.serverId, set: values })
      .run();
    return next;
  }

  /** DNS provider credentials (names → values from the keychain), for the proxy container's environment. */
  async dnsEnv(serverId: string): Promise<Record<string, string>> {
    const refs = { ...this.row(serverId)?.dnsEnvRefs };
    const out: Record<string, string> = {};
    for (const [name, ref] of Object.entries(refs)) out[name] = await this.secrets.require(ref, `DNS credential ${name}`);
    return out;
  }
}

/** What the schema cannot see: the URL must parse (port range), the CA root as certificates, and only Caddy takes one. */
function checkAcme(s: ShipSettings): void {
  if (s.acme.directoryUrl && !URL.canParse(s.acme.directoryUrl)) throw new AppError('INPUT_INVALID', 'settings.acme.directoryUrl: expected the https URL of an ACME directory (this one does not parse)');
  const pem = s.acme.caRoot;
  if (!pem) return;
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
    try {
      new X509Certificate(block);
    } catch {
      throw new AppError('INPUT_INVALID', 'settings.acme.caRoot: expected PEM certificates; one of them does not parse as a certificate');
    }
  }
  if (s.driver !== 'caddy') throw new AppError('INPUT_INVALID', `settings.acme.caRoot: the ${s.driver} driver cannot be given an ACME server's root CA; use Caddy, or an ACME server with a publicly trusted certificate`);
}
