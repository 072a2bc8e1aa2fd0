/**
 * Redaction of secrets from anything the assistant sends to a model: by pattern (private keys, cloud keys, tokens,
 * URLs with passwords, secret-looking assignments, whole .env files) and by value (every secret this app knows).
 */
export const MASK = '[REDACTED]';

interface Rule {
  name: string;
  re: RegExp;
  /** Replacement: the whole match, or keep group 1 (a prefix) and mask the rest. */
  keepPrefix?: boolean;
}

const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|dsn|database[_-]?url|conn(?:ection)?[_-]?string|session[_-]?key|salt|signing[_-]?key|client[_-]?secret)[A-Za-z0-9_.-]*`;

const RULES: Rule[] = [
  { name: 'private key', re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)/g },
  { name: 'url credentials', re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:)[^\s@/'"]+(?=@)/gi, keepPrefix: true },
  { name: 'aws access key id', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  { name: 'github token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g },
  { name: 'gitlab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  { name: 'slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { name: 'groq key', re: /\bgsk_[A-Za-z0-9]{20,}\b/g },
  { name: 'openai/anthropic key', re: /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b/g },
  { name: 'stripe key', re: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { name: 'google api key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
  { name: 'bearer token', re: /(\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{12,}/g, keepPrefix: true },
  // KEY=value, KEY: value, "key": "value", export KEY=value, --password=value, where the name looks secret.
  { name: 'secret assignment', re: new RegExp(String.raw`(["']?\b${SECRET_NAME}["']?\s*[:=]\s*["']?)(?!\[REDACTED\])[^\s"',;}]+`, 'gi'), keepPrefix: true },
  { name: 'secret flag', re: new RegExp(String.raw`(--${SECRET_NAME}[= ]\s*["']?)(?!\[REDACTED\])[^\s"']+`, 'gi'), keepPrefix: true },
  { name: 'aws secret key', re: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])(?=[\s"',]|$)/g },
];

export interface RedactionResult {
  text: string;
  count: number;
}

export class Redactor {
  private readonly known: string[];
  constructor(knownSecrets: Iterable<string> = []) {
    // Longest first, so a secret containing another is masked whole. Very short values would mask ordinary words.
    this.known = [...new Set([...knownSecrets].filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  }

  redact(input: string): RedactionResult {
    let text = input;
    let count = 0;
    for (const value of this.known) {
      // Multi-line secrets (private keys) also appear line by line or with \n escapes.
      for (const form of new Set([value, value.replaceAll('\n', '\\n'), value.trim()])) {
        if (!form || !text.includes(form)) continue;
        const parts = text.split(form);
        count += parts.length - 1;
        text = parts.join(MASK);
      }
    }
    for (const rule of RULES) {
      text = text.replace(rule.re, (match: string, prefix: unknown) => {
        count++;
        return rule.keepPrefix && typeof prefix === 'string' ? `${prefix}${MASK}` : MASK;
      });
    }
    return { text, count };
  }
}

/** A .env-style file: every value is a secret until proven otherwise, so only the names are kept. */
export function redactEnvFile(content: string): RedactionResult {
  let count = 0;
  const text = content
    .split('\n')
    .map((line) => {
      const m = /^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*)(.*)$/.exec(line);
      if (!m || !m[2]) return line;
      count++;
      return `${m[1]}${MASK}`;
    })
    .join('\n');
  return { text, count };
}

export function isEnvFileName(name: string): boolean {
  return /^\.env(\..*)?$|\.env$/i.test(name) && !/\.(example|sample|template)$/i.test(name);
}
