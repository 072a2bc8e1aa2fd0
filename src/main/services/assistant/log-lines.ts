/** Lines that usually carry the cause of a failure (build, runtime, deploy job). */
const ERROR_LINE = /\b(error|fatal|failed|failure|panic|exception|traceback|denied|refused|not found|no such|cannot|can't|unable|killed|oom|exit(ed)? (code|status)|returned a non-zero code)\b|\berr!|^!! /i;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * The relevant part of a long log for "explain": lines that look like errors (with one line of context before
 * each) plus the last `tail` lines, in their original order, gaps marked. Bounded in lines and characters.
 */
export function relevantLines(log: string, opts: { tail?: number; maxMatches?: number; maxLineChars?: number } = {}): string[] {
  const tail = opts.tail ?? 120;
  const maxMatches = opts.maxMatches ?? 40;
  const maxChars = opts.maxLineChars ?? 500;
  const lines = log.replace(ANSI, '').replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && !lines.at(-1)!.trim()) lines.pop();
  const keep = new Set<number>();
  for (let i = Math.max(0, lines.length - tail); i < lines.length; i++) keep.add(i);
  let matches = 0;
  for (let i = 0; i < lines.length - tail && matches < maxMatches; i++) {
    if (!ERROR_LINE.test(lines[i]!)) continue;
    matches++;
    if (i > 0) keep.add(i - 1);
    keep.add(i);
  }
  const out: string[] = [];
  let prev = -1;
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (prev >= 0 && i > prev + 1) out.push(`… (${i - prev - 1} lines left out)`);
    else if (prev < 0 && i > 0) out.push(`… (${i} lines left out)`);
    const l = lines[i]!;
    out.push(l.length > maxChars ? `${l.slice(0, maxChars)}…` : l);
    prev = i;
  }
  return out;
}
