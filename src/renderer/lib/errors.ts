/** The stable code and human message of an API error, whatever shape it arrived in. */
export function describeError(e: unknown): { code: string; message: string } {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown };
    return { code: typeof o.code === 'string' ? o.code : 'INTERNAL', message: typeof o.message === 'string' ? o.message : String(e) };
  }
  return { code: 'INTERNAL', message: String(e) };
}
