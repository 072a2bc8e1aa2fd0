import type { TestServer } from '../testbed/index.ts';

/**
 * Hostile strings for every field that reaches a remote command or path: shell metacharacters, quoting,
 * command substitution, newlines, traversal (also of Docker API paths), option injection, unicode. Each tries to
 * create CANARY (or a file whose name starts with it), or to reach the container named VICTIM.
 */
export const CANARY = '/tmp/openpanel-canary';
/** A container a Docker API path traversal would hit (`/volumes/../containers/<VICTIM>`). */
export const VICTIM = 'openpanel-victim';

export function hostileStrings(): string[] {
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
  const out = new Set<string>();
  for (const p of payloads) for (const w of wrappers) out.add(w(p));
  return [...out];
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
