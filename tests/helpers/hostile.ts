import type { TestServer } from '../testbed/index.ts';

/**
 * Hostile strings for every field that reaches a remote command or path: shell metacharacters, quoting,
 * command substitution, newlines, traversal (also of Docker API paths), option injection, unicode. Each tries to
 * create CANARY (or a file whose name starts with it), or to reach the container named VICTIM.
 */
export const CANARY = '/tmp/openpanel-canary';
/** A container a Docker API path traversal would hit (`/volumes/../containers/<VICTIM>`). */
export const VICTIM = 'openpanel-victim';

/** Each hostile string with the payload it wraps (a test that cannot afford them all picks per payload). */
export function hostileVariants(): { payload: string; value: string }[] {
  const payloads = [
    `$(touch ${CANARY})`,
    `\`touch ${CANARY}\``,
    `;touch ${CANARY}`,
    `&& touch ${CANARY}`,
    `|| touch ${CANARY}`,
    `| touch ${CANARY}`,
    `\ntouch ${CANARY}\n`,
    `\r\ntouch ${CANARY}`,
    `'; touch ${CANARY}; '`,
    `"; touch ${CANARY}; "`,
    `$(touch${'${IFS}'}${CANARY})`,
    `\${IFS}touch\${IFS}${CANARY}`,
    `> ${CANARY}`,
    `>> ${CANARY}`,
    `< /etc/passwd > ${CANARY}`,
    `& touch ${CANARY} &`,
    `$((1+1))$(touch ${CANARY})`,
    `\\$(touch ${CANARY})`,
    `'\\''$(touch ${CANARY})'\\''`,
    `-exec touch ${CANARY} ;`,
    `--output=${CANARY}`,
    `../../../../${CANARY}`,
    `/../../tmp/../${CANARY}`,
    `%0atouch ${CANARY}`,
    `{touch,${CANARY}}`,
    `!touch ${CANARY}`,
    `*`,
    `~root`,
    `$HOME`,
    `\u0000touch ${CANARY}`,
    `../containers/${VICTIM}`,
    `../../containers/${VICTIM}?force=1`,
    `%2e%2e%2fcontainers%2f${VICTIM}`,
  ];
  const wrappers = [(p: string) => p, (p: string) => `x${p}`, (p: string) => `${p}x`, (p: string) => ` ${p} `, (p: string) => `é€😀${p}`, (p: string) => `"${p}"`, (p: string) => `'${p}'`];
  const seen = new Set<string>();
  const out: { payload: string; value: string }[] = [];
  for (const payload of payloads) {
    for (const w of wrappers) {
      const value = w(payload);
      if (!seen.has(value)) out.push({ payload, value });
      seen.add(value);
    }
  }
  return out;
}

export function hostileStrings(): string[] {
  return hostileVariants().map((v) => v.value);
}

/**
 * The canary detector: files in `dirs` on the server whose name starts with the canary's (wrapped payloads make
 * `openpanel-canaryx`, `openpanel-canary'`…). Empty means no payload ran.
 */
export async function canaries(s: TestServer, dirs: string[] = ['/tmp']): Promise<string[]> {
  const r = await s.exec(['find', ...dirs, '-maxdepth', '1', '-name', 'openpanel-canary*'], { check: true });
  return r.stdout.split('\n').filter(Boolean).sort();
}

export async function removeCanaries(s: TestServer, dirs: string[] = ['/tmp']): Promise<void> {
  await s.exec(['find', ...dirs, '-maxdepth', '1', '-name', 'openpanel-canary*', '-delete'], { check: true });
}
