import { open } from 'node:fs/promises';
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

export interface SshConfigPreview extends SshConfigEntry {
  /** Ticked in the import list: a real server (its own HostName, a valid port), not a pattern or a git alias. */
  suggested: boolean;
  /** Why it is not ticked, in words (null when suggested). */
  skipReason: string | null;
  /** The IdentityFile is encrypted (OpenSSH or PEM header read locally); null when there is none or it cannot be read. */
  keyNeedsPassphrase: boolean | null;
  /** Warnings that do not stop the import (an encrypted key, an unreadable key file). */
  warnings: string[];
}

/** Whether a private key file's text is encrypted: OpenSSH (cipher name in the binary header), PKCS#8 or legacy PEM. */
export function keyIsEncrypted(text: string): boolean | null {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) return true;
  if (/^Proc-Type:\s*4,ENCRYPTED/m.test(text)) return true;
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) {
    const body = Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64');
    const magic = 'openssh-key-v1\0';
    if (body.subarray(0, magic.length).toString('latin1') !== magic || body.length < magic.length + 4) return null;
    const len = body.readUInt32BE(magic.length);
    const cipher = body.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1');
    return cipher !== 'none';
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return false;
  return null;
}

/**
 * The import preview: parsed entries, which ones are servers to tick, and whether each key needs a passphrase.
 * `readKey` reads a key file on this computer (at most its first 64 KiB; its text never leaves this process).
 */
export async function previewSshConfig(text: string, readKey: (path: string) => Promise<string>, home = homedir()): Promise<SshConfigPreview[]> {
  const explicit = explicitHostNames(text);
  return Promise.all(
    parseSshConfig(text, home).map(async (e): Promise<SshConfigPreview> => {
      const warnings: string[] = [];
      let keyNeedsPassphrase: boolean | null = null;
      if (e.identityFile) {
        try {
          keyNeedsPassphrase = keyIsEncrypted(await readKey(e.identityFile));
          if (keyNeedsPassphrase) warnings.push(`the key ${e.identityFile} is encrypted: after importing, enter its passphrase with Edit on the server`);
          else if (keyNeedsPassphrase === null) warnings.push(`${e.identityFile} does not look like a private key`);
        } catch (err) {
          warnings.push(`the key ${e.identityFile} cannot be read here (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
        }
      }
      const badPort = e.problems.some((p) => p.startsWith('Port '));
      const skipReason = !explicit.has(e.alias.toLowerCase()) ? 'no HostName: an alias, not a server address (tick it to import it as it is)' : badPort ? 'its port is not valid' : null;
      return { ...e, suggested: skipReason === null, skipReason, keyNeedsPassphrase, warnings };
    }),
  );
}

/** Aliases whose own Host block (not `Host *` or a pattern) sets HostName. */
function explicitHostNames(text: string): Set<string> {
  const out = new Set<string>();
  let patterns: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(rawLine.trim());
    if (!m || m[1]!.startsWith('#')) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'host') patterns = unquote(m[2]!.trim()).split(/\s+/).filter((p) => p && !/[*?!]/.test(p));
    else if (key === 'match') patterns = [];
    else if (key === 'hostname') for (const p of patterns) out.add(p.toLowerCase());
  }
  return out;
}

/** The first 64 KiB of a key file on this computer (enough for any private key header). */
export async function readKeyHead(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
