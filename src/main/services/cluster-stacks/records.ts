import { z } from 'zod';
import type { Manager } from '../cluster/view.ts';
import { bounded } from '../cluster/swarm.ts';
import { dockerError } from '../docker/errors.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';

/**
 * Deploy records of a stack are Swarm configs in the managers' Raft store (like cluster apps' records): the record
 * (Compose text as data, the rest in a label) made by the app before the job starts, and the result made by the
 * job itself (stack-job.sh) before it writes its final state, so a result outlives the app and the job's server.
 */
export const KEPT_RECORDS = 10;

export const RecordMeta = z.object({
  id: z.string(),
  at: z.number(),
  kind: z.enum(['deploy', 'rollback']),
  rollbackOf: z.string().nullable(),
  serverId: z.string(),
  registryId: z.string().nullable().default(null),
});
export type RecordMeta = z.infer<typeof RecordMeta>;

export interface StackRecord extends RecordMeta {
  configId: string;
  compose: string;
  result: { configId: string; status: 'succeeded' | 'failed'; message: string } | null;
}

export const recordName = (stack: string, id: string) => `openpanel-stack-${stack}-${id}`;
export const resultName = (stack: string, id: string) => `${recordName(stack, id)}-result`;

interface RawConfig {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string>; Data?: string };
}

const text = (c: RawConfig) => Buffer.from(c.Spec?.Data ?? '', 'base64').toString('utf8');

/** The stack's records, newest first, each with its result when the job left one. */
export async function listRecords(m: Manager, stack: string): Promise<StackRecord[]> {
  const list = m.api.listConfigs.bind(m.api) as (opts: unknown) => Promise<RawConfig[]>;
  const configs = await bounded((signal) => list({ filters: { label: [`${LABELS.stack}=${stack}`] }, abortSignal: signal }), `listing the deploys of stack ${stack}`);
  const results = new Map<string, RawConfig>();
  for (const c of configs) {
    const deploy = c.Spec?.Labels?.[LABELS.deploy];
    if (deploy && c.Spec?.Labels?.[LABELS.stackResult]) results.set(deploy, c);
  }
  const out: StackRecord[] = [];
  for (const c of configs) {
    const raw = c.Spec?.Labels?.[LABELS.stackDeploy];
    if (!raw) continue;
    let meta: RecordMeta;
    try {
      meta = RecordMeta.parse(JSON.parse(raw));
    } catch {
      continue;
    }
    const r = results.get(meta.id);
    const status = r?.Spec?.Labels?.[LABELS.stackResult];
    out.push({
      ...meta,
      configId: c.ID,
      compose: text(c),
      result: r && (status === 'succeeded' || status === 'failed') ? { configId: r.ID, status, message: text(r).trim() } : null,
    });
  }
  return out.sort((a, b) => b.at - a.at);
}

export async function createRecord(m: Manager, stack: string, meta: RecordMeta, compose: string): Promise<void> {
  const labels = { ...MANAGED, [LABELS.stack]: stack, [LABELS.deploy]: meta.id, [LABELS.stackDeploy]: JSON.stringify(meta) };
  await bounded((signal) => m.api.createConfig({ Name: recordName(stack, meta.id), Labels: labels, Data: Buffer.from(compose).toString('base64'), abortSignal: signal } as never), `recording deploy ${meta.id} of stack ${stack}`).catch((e: unknown) => {
    throw dockerError(e, `the deploy record of stack ${stack}`);
  });
}

/** A result the job could not leave itself (it never started). */
export async function createResult(m: Manager, stack: string, id: string, status: 'succeeded' | 'failed', message: string): Promise<void> {
  const labels = { ...MANAGED, [LABELS.stack]: stack, [LABELS.deploy]: id, [LABELS.stackResult]: status };
  await bounded((signal) => m.api.createConfig({ Name: resultName(stack, id), Labels: labels, Data: Buffer.from(`${message}\n`).toString('base64'), abortSignal: signal } as never), `recording the result of ${id}`).catch(() => undefined);
}

export async function removeRecord(m: Manager, r: StackRecord): Promise<void> {
  for (const id of [r.configId, r.result?.configId]) {
    if (id) await bounded((signal) => m.api.getConfig(id).remove({ abortSignal: signal }), `removing a deploy record of ${r.id}`).catch(() => undefined);
  }
}

/** Drops the records beyond the newest KEPT_RECORDS; returns the ids dropped. */
export async function pruneRecords(m: Manager, stack: string): Promise<string[]> {
  const old = (await listRecords(m, stack)).slice(KEPT_RECORDS);
  for (const r of old) await removeRecord(m, r);
  return old.map((r) => r.id);
}
