import { StandardRPCJsonSerializer, StandardRPCSerializer } from '@orpc/client/standard';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { contract } from '../../src/shared/contract/index.ts';
import { formatPath } from '../../src/main/rpc/errors.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { candidateInputs } from '../helpers/invalid-input.ts';

/**
 * Every procedure of the contract (walked, so new ones are covered) gets generated inputs that violate its schema,
 * through the real web transport and router: the answer is always INPUT_INVALID naming the same fields as the
 * schema itself, never an internal error, a crash or a polluted prototype. FUZZ_SEED=<n> replays another seed.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.FUZZ_RUNS ?? 24);

interface Procedure {
  path: string[];
  schema: z.core.$ZodType | undefined;
}

function procedures(node: unknown, path: string[] = []): Procedure[] {
  const orpc = (node as { '~orpc'?: { inputSchema?: z.core.$ZodType } })['~orpc'];
  if (orpc) return [{ path, schema: orpc.inputSchema }];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => procedures(v, [...path, k]));
}

const serializer = new StandardRPCSerializer(new StandardRPCJsonSerializer());
/** What the server receives for `value`: the client's serializer, JSON, and the server's deserializer. */
function overTheWire(value: unknown): unknown {
  return serializer.deserialize(JSON.parse(JSON.stringify(serializer.serialize(value))) as never);
}

function issuesOf(schema: z.core.$ZodType, value: unknown): string[] | null {
  const r = (schema as unknown as z.ZodType).safeParse(value);
  return r.success ? null : r.error.issues.map((i) => formatPath(i.path));
}

/**
 * The fields the server must name, or 'undecodable' when oRPC's own client serializer cannot encode the value
 * (an own `__proto__` key holding a Date, bigint or undefined): the server then refuses the body as malformed.
 */
function expectedIssues(schema: z.core.$ZodType, input: unknown): string[] | 'undecodable' | null {
  let wire: unknown;
  try {
    wire = overTheWire(input);
  } catch {
    return 'undecodable';
  }
  return issuesOf(schema, wire);
}

const ALL = procedures(contract);
const WITH_INPUT = ALL.filter((p) => p.schema);

describe('contract fuzzing: invalid input is refused with the field named', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('walks the whole contract', () => {
    expect(ALL.length).toBeGreaterThan(120);
    expect(WITH_INPUT.length).toBeGreaterThan(100);
    expect(WITH_INPUT.map((p) => p.path.join('.'))).toContain('apps.webhook.enable');
  });

  it('the detector fires: a valid input is not counted as refused (positive control)', async () => {
    const schema = contract.servers.get['~orpc'].inputSchema!;
    expect(issuesOf(schema, overTheWire({ id: 'abc' }))).toBeNull();
    expect(issuesOf(schema, overTheWire({ id: 'a b' }))).toEqual(['id']);
    expect((await rpcError(app.client.servers.get({ id: 'nope' }))).code).toBe('NOT_FOUND');
  });

  it.each(WITH_INPUT.map((p) => [p.path.join('.'), p] as const))('%s', async (name, proc) => {
    const call = proc.path.reduce<unknown>((c, k) => (c as Record<string, unknown>)[k], app.client) as (input: unknown) => Promise<unknown>;
    const schema = proc.schema!;
    const arb = candidateInputs(schema)
      .map((input) => ({ input, expected: expectedIssues(schema, input) }))
      .filter((c) => c.expected !== null);
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ input, expected }) => {
        calls++;
        const err = await rpcError(call(input));
        if (expected === 'undecodable') {
          expect(err.code, `${name}: ${err.message}`).toBe('BAD_REQUEST');
        } else {
          expect(err.code, `${name}: ${err.message}`).toBe('INPUT_INVALID');
          const issues = (err.data as { issues: { path: string; message: string }[] }).issues;
          expect(issues.map((i) => i.path).sort()).toEqual([...expected!].sort());
          expect(err.message).toContain(`${issues[0]!.path}: `);
        }
        expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(calls).toBe(RUNS);
  });
});
