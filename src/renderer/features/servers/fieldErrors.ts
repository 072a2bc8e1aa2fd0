/** INPUT_INVALID issues from the API, keyed by field path, for showing next to each field. */
export function fieldErrors(e: unknown): Record<string, string> {
  const data = (e as { code?: string; data?: { issues?: { path: string; message: string }[] } } | null)?.data;
  const out: Record<string, string> = {};
  for (const i of data?.issues ?? []) out[i.path] ??= i.message;
  return out;
}
