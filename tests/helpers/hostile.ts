/**
 * Hostile strings for every field that reaches a remote command or path: shell metacharacters, quoting,
 * command substitution, newlines, traversal, option injection, unicode. Each tries to create CANARY.
 */
export const CANARY = '/tmp/openpanel-canary';

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
  ];
  const wrappers = [(p: string) => p, (p: string) => `x${p}`, (p: string) => `${p}x`, (p: string) => ` ${p} `, (p: string) => `é€😀${p}`, (p: string) => `"${p}"`, (p: string) => `'${p}'`];
  const out = new Set<string>();
  for (const p of payloads) for (const w of wrappers) out.add(w(p));
  return [...out];
}
