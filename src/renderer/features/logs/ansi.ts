/**
 * ANSI SGR colours (ESC [ … m) to styled spans. Other escape sequences are dropped. The result is plain data
 * rendered as React text nodes: log text never reaches innerHTML.
 */
export interface Span {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

const BASIC = ['#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5'];
const BRIGHT = ['#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff'];

function xterm256(n: number): string | undefined {
  if (n < 0 || n > 255) return undefined;
  if (n < 8) return BASIC[n];
  if (n < 16) return BRIGHT[n - 8];
  if (n < 232) {
    const v = n - 16;
    const c = (x: number) => (x === 0 ? 0 : 55 + x * 40);
    return `rgb(${c(Math.floor(v / 36))},${c(Math.floor(v / 6) % 6)},${c(v % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

type Style = Omit<Span, 'text'>;

function apply(style: Style, params: number[]): Style {
  const s = { ...style };
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p === 0) {
      for (const k of Object.keys(s)) delete s[k as keyof Style];
    } else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 22) {
      delete s.bold;
      delete s.dim;
    } else if (p === 23) delete s.italic;
    else if (p === 24) delete s.underline;
    else if (p >= 30 && p <= 37) s.fg = BASIC[p - 30]!;
    else if (p >= 90 && p <= 97) s.fg = BRIGHT[p - 90]!;
    else if (p === 39) delete s.fg;
    else if (p >= 40 && p <= 47) s.bg = BASIC[p - 40]!;
    else if (p >= 100 && p <= 107) s.bg = BRIGHT[p - 100]!;
    else if (p === 49) delete s.bg;
    else if (p === 38 || p === 48) {
      let colour: string | undefined;
      if (params[i + 1] === 5) {
        colour = xterm256(params[i + 2] ?? -1);
        i += 2;
      } else if (params[i + 1] === 2) {
        const [r, g, b] = [params[i + 2] ?? 0, params[i + 3] ?? 0, params[i + 4] ?? 0].map((x) => Math.max(0, Math.min(255, x)));
        colour = `rgb(${r},${g},${b})`;
        i += 4;
      }
      if (colour) s[p === 38 ? 'fg' : 'bg'] = colour;
    }
  }
  return s;
}

// CSI sequences (ESC [ params final), OSC (ESC ] … BEL or ESC \), and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

/** Parses a line into spans. A line without ESC is one span (the common, fast case). */
export function parseAnsi(line: string): Span[] {
  if (!line.includes('\x1b')) return [{ text: line }];
  const spans: Span[] = [];
  let style: Style = {};
  let last = 0;
  ESCAPES.lastIndex = 0;
  for (let m = ESCAPES.exec(line); m; m = ESCAPES.exec(line)) {
    if (m.index > last) spans.push({ ...style, text: line.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[2] === 'm') style = apply(style, (m[1] ?? '').split(';').filter((x) => x !== '' && x !== '?').map(Number));
  }
  if (last < line.length) spans.push({ ...style, text: line.slice(last) });
  return spans;
}

/** The text without escape sequences (for search and download). */
export function stripAnsi(line: string): string {
  return line.includes('\x1b') ? line.replace(ESCAPES, '') : line;
}
