import { homedir } from 'node:os';

export interface SshConfigEntry {
  alias: string;
  host: string;
  port: number;
  username: string | null;
  identityFile: string | null;
  proxyJump: string | null;
  problems: string[];
}

interface Block {
  patterns: string[];
  options: Map<string, string>;
}

/**
 * Reads the parts of an OpenSSH client config OpenPanel uses (Host, HostName, User, Port, IdentityFile,
 * ProxyJump), with OpenSSH's "first value wins" rule and `Host *` defaults. Wildcard-only blocks are not
 * importable servers; Match blocks and Include are reported, not followed.
 */
export function parseSshConfig(text: string, home = homedir()): SshConfigEntry[] {
  const blocks: Block[] = [];
  let current: Block = { patterns: ['*'], options: new Map() };
  blocks.push(current);
  const notes: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = unquote(m[2]!.trim());
    if (key === 'host') {
      current = { patterns: value.split(/\s+/).filter(Boolean), options: new Map() };
      blocks.push(current);
    } else if (key === 'match') {
      current = { patterns: [], options: new Map() };
      blocks.push(current);
      notes.push('Match blocks are not evaluated');
    } else if (key === 'include') {
      notes.push(`Include ${value} is not followed`);
    } else if (!current.options.has(key)) {
      current.options.set(key, value);
    }
  }
  const aliases = blocks.flatMap((b) => b.patterns).filter((p) => !/[*?!]/.test(p));
  return [...new Set(aliases)].map((alias) => {
    const get = (k: string): string | null => {
      for (const b of blocks) if (b.patterns.some((p) => matches(p, alias)) && b.options.has(k)) return b.options.get(k)!;
      return null;
    };
    const problems = [...notes];
    const portText = get('port');
    const port = portText ? Number(portText) : 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`Port "${portText}" is not a valid port`);
    const identity = get('identityfile');
    return {
      alias,
      host: (get('hostname') ?? alias).replaceAll('%h', alias),
      port: Number.isInteger(port) ? port : 22,
      username: get('user'),
      identityFile: identity ? identity.replace(/^~(?=\/|$)/, home).replaceAll('%d', home) : null,
      proxyJump: get('proxyjump') === 'none' ? null : get('proxyjump'),
      problems,
    };
  });
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** OpenSSH pattern matching: * and ?, with leading ! negation. */
function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('!')) return false;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i');
  return re.test(name);
}

/** A ProxyJump value "user@host:port" (first hop of a comma list) split into parts. */
export function parseJump(value: string): { username: string | null; host: string; port: number | null }[] {
  return value.split(',').map((hop) => {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
    if (!m) return { username: null, host: hop.trim(), port: null };
    return { username: m[1] ?? null, host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : null };
  });
}
