/** INPUT_INVALID issues from the API, keyed by field path, for showing next to each field. */
export function fieldErrors(e: unknown): Record<string, string> {
  const data = (e as { code?: string; data?: { issues?: { path: string; message: string }[] } } | null)?.data;
  const out: Record<string, string> = {};
  for (const i of data?.issues ?? []) out[i.path] ??= i.message;
  return out;
}

/** Errors for a form: one per field when the API named fields, else one for the whole form. */
export function formErrors(e: unknown): Record<string, string> {
  const fe = fieldErrors(e);
  if (Object.keys(fe).length) return fe;
  const message = (e as { message?: unknown } | null)?.message;
  return { form: typeof message === 'string' ? message : String(e) };
}
