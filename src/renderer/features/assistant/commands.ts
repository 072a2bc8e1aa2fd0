/**
 * A proposed shell command as argv, or null when it needs a shell (pipes, redirections, variables, several
 * commands): those are shown for copying only. Quotes ('…', "…") and backslash escapes are honoured.
 */
export function toArgv(command: string): string[] | null {
  const line = command.trim().replace(/^\$\s+/, '');
  if (!line || line.includes('\n')) return null;
  const argv: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else if (quote === '"' && (c === '$' || c === '`')) return null;
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) argv.push(cur);
      cur = '';
      has = false;
    } else if ('|&;<>()$`*?~#'.includes(c)) return null;
    else cur += c;
  }
  if (quote) return null;
  if (has || cur) argv.push(cur);
  return argv.length ? argv : null;
}
