/** Keys whose values are treated as secrets wherever they appear, in addition to a procedure's declared secretFields. */
const SECRET_KEY = /(pass(word|phrase)?|secret|token|private.?key|api.?key|credential|value)$/i;

export const REDACTED = '[redacted]';

/** A deep copy with every secret field replaced. Declared fields and key-name patterns both count. */
export function redact(input: unknown, secretFields: readonly string[] = []): unknown {
  const declared = new Set(secretFields);
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > 8) return '[…]';
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = declared.has(k) || SECRET_KEY.test(k) ? (v === undefined || v === null ? v : REDACTED) : walk(v, depth + 1);
      }
      return out;
    }
    if (typeof value === 'string' && value.length > 2000) return `${value.slice(0, 2000)}…`;
    return value;
  };
  return walk(input, 0);
}
