import fc from 'fast-check';
import type { z } from 'zod';
import { hostileStrings } from './hostile.ts';

/**
 * fast-check arbitraries that follow a zod schema's shape and break it: wrong types, missing fields, values just
 * outside the bounds, hostile strings, prototype keys, deep nesting, NaN/Infinity, huge strings and arrays.
 * Whether a value really violates the schema is decided by the caller (safeParse), not assumed here.
 */
type Schema = z.core.$ZodType;
type Def = Record<string, unknown> & { type: string };

const MISSING = Symbol('missing');
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

function deep(depth: number, leaf: unknown, asArray: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

/** An object with own keys named like prototype members (JSON.parse makes `__proto__` an own key). */
const protoObject = fc.constantFrom(
  JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as unknown,
  JSON.parse('{"__proto__":null,"toString":"x","valueOf":1}') as unknown,
  JSON.parse('{"constructor":"x","prototype":[],"hasOwnProperty":0}') as unknown,
);

export const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileStrings()) },
  { weight: 2, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, -1, 0.5, 2 ** 53 + 2) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, undefined, true, false, '', [], {}) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(200_000), 'é😀\u202e'.repeat(20_000), '\u0000'.repeat(1000)) },
  { weight: 1, arbitrary: fc.constantFrom(Array.from({ length: 20_000 }, (_, i) => i), Array.from({ length: 2000 }, () => 'a'.repeat(100))) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }).chain((n) => fc.boolean().map((arr) => deep(n, 'x', arr))) },
  { weight: 2, arbitrary: protoObject },
  { weight: 1, arbitrary: fc.oneof(fc.bigInt(), fc.date({ noInvalidDate: false })) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withBoxedValues: false }) },
);

function defOf(s: Schema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

function stringNearMiss(s: Schema): fc.Arbitrary<unknown> {
  const { minLength, maxLength } = s as unknown as { minLength: number | null; maxLength: number | null };
  const out: fc.Arbitrary<unknown>[] = [fc.string({ unit: 'binary', maxLength: 40 }), fc.constant('')];
  if (maxLength !== null && maxLength < 300_000) out.push(fc.constant('a'.repeat(maxLength + 1)));
  if (minLength !== null && minLength > 1) out.push(fc.constant('a'.repeat(minLength - 1)));
  return fc.oneof(...out);
}

function numberNearMiss(s: Schema): fc.Arbitrary<unknown> {
  const { minValue, maxValue } = s as unknown as { minValue: number | null; maxValue: number | null };
  const out: fc.Arbitrary<unknown>[] = [fc.integer(), fc.double(), fc.constant('1')];
  if (maxValue !== null && Number.isFinite(maxValue)) out.push(fc.constant(maxValue + 1), fc.constant(maxValue + 0.5));
  if (minValue !== null && Number.isFinite(minValue)) out.push(fc.constant(minValue - 1), fc.constant(minValue));
  return fc.oneof(...out);
}

function objectArb(def: Def, depth: number): fc.Arbitrary<unknown> {
  const shape = def.shape as Record<string, Schema>;
  const keys = Object.keys(shape);
  const fields = keys.map((k) => fc.option(shapedLike(shape[k]!, depth + 1), { freq: 10, nil: MISSING as unknown }));
  const extras = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS, 'unknownField'), hostileLeaf) });
  return fc.tuple(fc.tuple(...fields), extras).map(([values, extra]) => {
    const entries: [string, unknown][] = [];
    values.forEach((v, i) => {
      if (v !== MISSING) entries.push([keys[i]!, v]);
    });
    if (extra) entries.push(extra);
    // fromEntries defines own properties, so '__proto__' is a key here, not the prototype.
    return Object.fromEntries(entries);
  });
}

/** Values shaped like `schema` where any part may be wrong; sometimes valid (the caller filters those out). */
export function shapedLike(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 6) return hostileLeaf;
  const wrap = (a: fc.Arbitrary<unknown>) => fc.oneof({ weight: 5, arbitrary: a }, { weight: 1, arbitrary: hostileLeaf });
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return shapedLike(def.innerType as Schema, depth);
    case 'pipe':
      return shapedLike(def.in as Schema, depth);
    case 'lazy':
      return shapedLike((def.getter as () => Schema)(), depth + 1);
    case 'object':
      return wrap(objectArb(def, depth));
    case 'array':
      return wrap(fc.array(shapedLike(def.element as Schema, depth + 1), { maxLength: 4 }));
    case 'tuple':
      return wrap(fc.tuple(...(def.items as Schema[]).map((i) => shapedLike(i, depth + 1))));
    case 'union':
      return fc.oneof(...(def.options as Schema[]).map((o) => shapedLike(o, depth)));
    case 'intersection':
      return shapedLike(def.left as Schema, depth);
    case 'record':
      return wrap(fc.dictionary(fc.oneof(fc.constantFrom(...PROTO_KEYS), shapedLike(def.keyType as Schema, depth + 1).filter((k): k is string => typeof k === 'string')), shapedLike(def.valueType as Schema, depth + 1), { maxKeys: 4 }));
    case 'string':
      return wrap(stringNearMiss(schema));
    case 'number':
      return wrap(numberNearMiss(schema));
    case 'boolean':
      return wrap(fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1)));
    case 'enum':
      return wrap(fc.oneof(fc.constantFrom(...Object.values(def.entries as Record<string, string | number>)), fc.string({ maxLength: 12 })));
    case 'literal':
      return wrap(fc.oneof(fc.constantFrom(...(def.values as unknown[])), fc.constantFrom('x', 0, null)));
    default:
      return hostileLeaf;
  }
}

/** Inputs for a procedure: shaped like its schema (most of the time) or anything at all. */
export function candidateInputs(schema: Schema): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: shapedLike(schema) }, { weight: 1, arbitrary: hostileLeaf });
}
