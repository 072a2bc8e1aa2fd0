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
      // fromEntries defines own keys: an input key '__proto__' stays a key instead of replacing the prototype.
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, declared.has(k) || SECRET_KEY.test(k) ? (v === undefined || v === null ? v : REDACTED) : walk(v, depth + 1)]),
      );
    }
    // JSON.stringify throws on a bigint, which turned an invalid input to a mutating call into an internal error.
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'string' && value.length > 2000) return `${value.slice(0, 2000)}…`;
    return value;
  };
  return walk(input, 0);
}
