/** System error codes that reach users inside messages (from Node's net, dns and fs), said in words. */
export const RAW_CODES: Record<string, string> = {
  EHOSTUNREACH: 'no route to the host: it is down, or a network or firewall between here and it drops the traffic',
  ENETUNREACH: 'no route to that network from this computer: check the address and your network connection',
  ECONNREFUSED: 'the host answered but nothing listens on that port: check the port and that the service (sshd) runs',
  ECONNRESET: 'the connection was cut by the other side or a network device in between',
  ETIMEDOUT: 'no answer in time: the host is off, the address is wrong, or a firewall drops the traffic',
  ENOTFOUND: 'the name could not be resolved (DNS): check the spelling of the host name',
  EAI_AGAIN: 'DNS did not answer in time: check this computer’s network or try again',
  EACCES: 'permission denied: the file or port is not allowed for this user',
  EPERM: 'operation not permitted for this user',
  ENOENT: 'no such file or directory',
  EADDRINUSE: 'that local port is already in use by another program',
};

export interface DescribedError {
  code: string;
  /** The message, with any raw system code in it explained in words. */
  message: string;
  /** The raw system code the message contained, if any. */
  raw: string | null;
  data: Record<string, unknown> | undefined;
}

/** The stable code and human message of an API error, whatever shape it arrived in. */
export function describeError(e: unknown): DescribedError {
  let code = 'INTERNAL';
  let message = String(e);
  let data: Record<string, unknown> | undefined;
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; data?: unknown };
    if (typeof o.code === 'string') code = o.code;
    if (typeof o.message === 'string') message = o.message;
    if (o.data && typeof o.data === 'object') data = o.data as Record<string, unknown>;
  }
  const found = rawCodeIn(message) ?? (Object.hasOwn(RAW_CODES, code) ? code : null);
  return { code, message: explain(message, found), raw: found, data };
}

function rawCodeIn(text: string): string | null {
  for (const m of text.matchAll(/\b(E[A-Z]{3,15})\b/g)) if (Object.hasOwn(RAW_CODES, m[1]!)) return m[1]!;
  return null;
}

function explain(text: string, raw: string | null): string {
  const words = raw ? RAW_CODES[raw] : null;
  return words && !text.includes(words) ? `${text} (${raw}: ${words})` : text;
}

/** A text shown as it is (a connection test step's detail), with a raw system code in it explained. */
export function explainRawCodes(text: string): string {
  return explain(text, rawCodeIn(text));
}

/** Whether the error is a failed image pull that the server's image mapping can fix (`data.fix` set by main's ensureImage). */
export function imageMappingFix(e: unknown): { image: string | null } | null {
  const { data } = describeError(e);
  if (data?.fix !== 'image-mapping') return null;
  return { image: typeof data.image === 'string' ? data.image : null };
}
