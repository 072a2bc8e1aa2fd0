/**
 * A strict reader of the Prometheus text exposition format (what node-exporter's textfile collector accepts): every
 * line a HELP, a TYPE (before the name's samples, once), a comment, or a sample `name{label="value",…} number`
 * with only the escapes \\ \" \n in values; a series at most once. Anything else throws, naming the line.
 * Returns each sample's series, exactly as written (`name{labels}`), with its value.
 */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const typed = new Set<string>();
  const helped = new Set<string>();
  const sampled = new Set<string>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
  const sample = new RegExp(`^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*)?\\})? (-?(?:\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|Inf|NaN)|\\+Inf)( -?\\d+)?$`);
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the text does not end with a line feed');
  lines.forEach((line, i) => {
    if (line === '') {
      if (i !== lines.length - 1) throw new Error(`line ${i + 1}: empty line`);
      return;
    }
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta as unknown as [string, string, string, string];
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`line ${i + 1}: bad metric name ${name}`);
      const seen = what === 'HELP' ? helped : typed;
      if (seen.has(name)) throw new Error(`line ${i + 1}: a second ${what} for ${name}`);
      if (what === 'TYPE' && !/^(counter|gauge|histogram|summary|untyped)$/.test(rest)) throw new Error(`line ${i + 1}: bad type ${rest}`);
      if (what === 'TYPE' && sampled.has(name)) throw new Error(`line ${i + 1}: TYPE of ${name} after its samples`);
      seen.add(name);
      return;
    }
    if (line.startsWith('#')) return;
    const m = sample.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const series = `${m[1]}${m[2] ?? ''}`;
    if (out.has(series)) throw new Error(`line ${i + 1}: ${series} twice`);
    sampled.add(m[1]!);
    out.set(series, Number(m[3]));
  });
  return out;
}
