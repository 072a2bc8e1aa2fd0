import { z } from 'zod';
import { ClusterAppInput, ClusterBuild, ClusterGitSource, type ClusterAppSpec } from '../../../shared/contract/cluster-apps.ts';
import type { Manager } from '../cluster/view.ts';
import { bounded } from '../cluster/swarm.ts';
import { dockerError } from '../docker/errors.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { serviceName } from './spec.ts';

/**
 * Deploys from git are Swarm configs too (one per deploy, in the managers' Raft store, beside the deploy records):
 * what cannot change (the app's spec, source, builder, registry) in the config's data, the progress in its
 * LABELS.build label (a config's labels are the one part Swarm lets change). So a deploy started before the app
 * closed is found again by any app that asks the cluster, and finished from where its job on the builder is.
 */

/** Kept per app; older finished ones are dropped. */
export const KEPT_BUILDS = 10;

/** What never changes in a deploy from git (the config's data). */
export const BuildPlan = z.object({
  id: z.string(),
  clusterId: z.string(),
  /** The app's spec as deployFromGit got it, without an image (the build makes it). */
  app: ClusterAppInput.omit({ image: true }),
  source: ClusterGitSource,
  builderServerId: z.string(),
  builder: z.string(),
  registryId: z.string(),
  registry: z.string(),
  tag: z.string(),
  /** The job dir on the builder, as the builder server sees it. */
  jobDir: z.string(),
  startedAt: z.number(),
});
export type BuildPlan = z.infer<typeof BuildPlan>;

const Progress = ClusterBuild.pick({ status: true, step: true, error: true, commit: true, digest: true, image: true, finishedAt: true });
export type BuildProgress = z.infer<typeof Progress>;

export interface BuildRecord {
  configId: string;
  version: number;
  plan: BuildPlan;
  progress: BuildProgress;
}

interface RawConfig {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Labels?: Record<string, string>; Data?: string };
}

export const buildConfigName = (app: string, id: string) => `${serviceName(app)}-build-${id}`;

export function toView(r: BuildRecord): ClusterBuild {
  const p = r.plan;
  return { id: p.id, clusterId: p.clusterId, name: p.app.name, source: p.source, builderServerId: p.builderServerId, builder: p.builder, registryId: p.registryId, registry: p.registry, tag: p.tag, startedAt: p.startedAt, ...r.progress };
}

function read(c: RawConfig): BuildRecord | null {
  try {
    const plan = BuildPlan.safeParse(JSON.parse(Buffer.from(c.Spec?.Data ?? '', 'base64').toString('utf8')));
    const progress = Progress.safeParse(JSON.parse(c.Spec?.Labels?.[LABELS.build] ?? ''));
    if (!plan.success || !progress.success) return null;
    return { configId: c.ID, version: c.Version?.Index ?? 0, plan: plan.data, progress: progress.data };
  } catch {
    return null;
  }
}

const labelsOf = (plan: BuildPlan, progress: BuildProgress) => ({ ...MANAGED, [LABELS.app]: plan.app.name, [LABELS.build]: JSON.stringify(progress) });

/** The app's deploys from git, newest first. */
/** The deploys from git of one app, or of every app of the cluster (app null), newest first. */
export async function listBuilds(m: Manager, app: string | null): Promise<BuildRecord[]> {
  const list = m.api.listConfigs.bind(m.api) as (opts: unknown) => Promise<unknown>;
  const label = app === null ? [LABELS.build] : [`${LABELS.app}=${app}`, LABELS.build];
  const configs = (await bounded((signal) => list({ filters: { label }, abortSignal: signal }), `listing the builds of ${app ?? 'the cluster'}`)) as RawConfig[];
  return configs
    .map(read)
    .filter((r): r is BuildRecord => r !== null)
    .sort((a, b) => b.plan.startedAt - a.plan.startedAt);
}

export async function createBuild(m: Manager, plan: BuildPlan, progress: BuildProgress): Promise<BuildRecord> {
  const body = { Name: buildConfigName(plan.app.name, plan.id), Labels: labelsOf(plan, progress), Data: Buffer.from(JSON.stringify(plan)).toString('base64') };
  const made = (await bounded((signal) => m.api.createConfig({ ...body, abortSignal: signal } as never), `recording build ${plan.id}`).catch((e: unknown) => {
    throw dockerError(e, `the build record of ${plan.app.name}`);
  })) as { id?: string; ID?: string };
  const old = (await listBuilds(m, plan.app.name)).filter((r) => r.progress.status !== 'running').slice(KEPT_BUILDS);
  for (const r of old) await removeBuild(m, r);
  return { configId: made.id ?? made.ID ?? '', version: 0, plan, progress };
}

/** Writes the progress label (a config update may change its labels only; the version guards against a lost race). */
export async function saveProgress(m: Manager, record: BuildRecord, progress: BuildProgress): Promise<void> {
  const config = m.api.getConfig(record.configId) as unknown as { inspect(opts: unknown): Promise<RawConfig>; update(opts: unknown): Promise<unknown> };
  const now = await bounded((signal) => config.inspect({ abortSignal: signal }), `reading build ${record.plan.id}`);
  const spec = { ...now.Spec, Labels: labelsOf(record.plan, progress) };
  await bounded((signal) => config.update({ _query: { version: now.Version?.Index ?? 0 }, _body: spec, abortSignal: signal }), `recording build ${record.plan.id}`).catch((e: unknown) => {
    throw dockerError(e, `the build record of ${record.plan.app.name}`);
  });
  record.progress = progress;
}

export async function removeBuild(m: Manager, record: BuildRecord): Promise<void> {
  await bounded((signal) => m.api.getConfig(record.configId).remove({ abortSignal: signal }), `removing a build record of ${record.plan.app.name}`).catch(() => undefined);
}

/** The spec to deploy once the image is pushed. */
export function specOf(plan: BuildPlan, image: string): ClusterAppSpec {
  return ClusterAppInput.parse({ ...plan.app, image });
}
