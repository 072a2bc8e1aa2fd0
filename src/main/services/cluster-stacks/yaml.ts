import { AppError } from '../core/errors.ts';

/**
 * The block YAML a Compose file is written in, read only to check it before it reaches a node (Docker reads the
 * file itself). Maps, sequences, plain/quoted scalars, flow [..] and {..}, block scalars | and >. Anchors,
 * aliases, tags, merge keys and several documents are refused: what we check must be what Docker runs, and
 * aliases are how a small file expands into a huge one.
 */
export type Yaml = null | boolean | number | string | Yaml[] | { [k: string]: Yaml };

interface Line {
  no: number;
  indent: number;
  text: string;
}

const fail = (no: number, msg: string): never => {
  throw new AppError('INPUT_INVALID', `compose: line ${no}: ${msg}`);
};

/** Parses the text; an error names `compose`, the line and what was expected. */
export function parseYaml(text: string): Yaml {
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text) as Yaml;
    } catch (e) {
      return fail(1, `not valid JSON (${(e as Error).message})`);
    }
  }
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  const lines: Line[] = [];
  raw.forEach((l, i) => {
    if (/\t/.test(l.match(/^\s*/)?.[0] ?? '')) fail(i + 1, 'tabs cannot indent YAML');
    const body = stripComment(l);
    if (!body.trim()) return;
    if (/^(---|\.\.\.)\s*$/.test(body)) {
      if (lines.length) fail(i + 1, 'expected one document (--- or ... after content)');
      return;
    }
    lines.push({ no: i + 1, indent: body.length - body.trimStart().length, text: body.trim() });
  });
  if (!lines.length) return null;
  const p = { lines, raw, i: 0 };
  const v = block(p, lines[0]!.indent);
  if (p.i < lines.length) fail(lines[p.i]!.no, 'unexpected indentation');
  return v;
}

function stripComment(l: string): string {
  let q: string | null = null;
  for (let i = 0; i < l.length; i++) {
    const c = l[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,-]/.test(l[i - 1]!)) q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(l[i - 1]!))) return l.slice(0, i).trimEnd();
  }
  return l.trimEnd();
}

interface P {
  lines: Line[];
  raw: string[];
  i: number;
}

function block(p: P, indent: number): Yaml {
  const first = p.lines[p.i]!;
  return first.text === '-' || first.text.startsWith('- ') ? seq(p, indent) : map(p, indent);
}

function seq(p: P, indent: number): Yaml[] {
  const out: Yaml[] = [];
  while (p.i < p.lines.length) {
    const l = p.lines[p.i]!;
    if (l.indent < indent) break;
    if (l.indent > indent) fail(l.no, 'unexpected indentation');
    if (!(l.text === '-' || l.text.startsWith('- '))) break;
    const rest = l.text.slice(1).trimStart();
    if (!rest) {
      p.i++;
      out.push(p.i < p.lines.length && p.lines[p.i]!.indent > indent ? block(p, p.lines[p.i]!.indent) : null);
      continue;
    }
    // "- key: value" opens a map whose keys sit at the column after "- ".
    const inner = indent + (l.text.length - rest.length);
    p.lines[p.i] = { no: l.no, indent: inner, text: rest };
    if (rest.startsWith('- ') || rest === '-') out.push(seq(p, inner));
    else if (keyOf(rest) !== null) out.push(map(p, inner));
    else {
      p.i++;
      out.push(scalarOrFlow(p, rest, l.no, indent));
    }
  }
  return out;
}

function keyOf(text: string): { key: string; rest: string } | null {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'[\]{},#&*!|>%@`][^:]*?)\s*:(?:\s+(.*)|$)/.exec(text);
  if (!m) return null;
  const k = m[1]!;
  const key = k.startsWith('"') ? (JSON.parse(k) as string) : k.startsWith("'") ? k.slice(1, -1).replace(/''/g, "'") : k;
  return { key, rest: (m[2] ?? '').trim() };
}

function map(p: P, indent: number): { [k: string]: Yaml } {
  const out: { [k: string]: Yaml } = {};
  while (p.i < p.lines.length) {
    const l = p.lines[p.i]!;
    if (l.indent < indent) break;
    if (l.indent > indent) fail(l.no, 'unexpected indentation');
    if (l.text.startsWith('? ')) fail(l.no, 'complex keys (?) are not supported');
    const kv = keyOf(l.text);
    if (!kv) return fail(l.no, `expected "key: value", found ${JSON.stringify(l.text.slice(0, 40))}`);
    if (kv.key === '<<') fail(l.no, 'merge keys (<<) are not supported: write the keys out');
    if (Object.hasOwn(out, kv.key)) fail(l.no, `the key ${JSON.stringify(kv.key)} appears twice`);
    p.i++;
    if (!kv.rest) {
      const next = p.lines[p.i];
      // A sequence may sit at the same indentation as its key.
      if (next && (next.indent > indent || (next.indent === indent && (next.text === '-' || next.text.startsWith('- '))))) out[kv.key] = block(p, next.indent);
      else out[kv.key] = null;
    } else out[kv.key] = scalarOrFlow(p, kv.rest, l.no, indent);
  }
  return out;
}

function scalarOrFlow(p: P, text: string, no: number, indent: number): Yaml {
  if (/^[&*!]/.test(text)) fail(no, 'anchors, aliases and tags are not supported');
  if (/^[|>][+-]?\d?$/.test(text)) return blockScalar(p, text, indent);
  if (text.startsWith('[') || text.startsWith('{')) {
    const r = flow(text, 0, no);
    if (text.slice(r.end).trim()) fail(no, 'unexpected text after ] or }');
    return r.value;
  }
  if (text.startsWith('"') || text.startsWith("'")) {
    const r = quoted(text, 0, no);
    if (text.slice(r.end).trim()) fail(no, 'unexpected text after the closing quote');
    return r.value;
  }
  return plain(text);
}

function blockScalar(p: P, head: string, indent: number): string {
  const startNo = p.lines[p.i - 1]!.no;
  let end = p.i;
  while (end < p.lines.length && p.lines[end]!.indent > indent) end++;
  const lastNo = end > p.i ? p.lines[end - 1]!.no : startNo;
  const body = p.raw.slice(startNo, lastNo);
  p.i = end;
  const ind = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  const text = body.map((l) => l.slice(Number.isFinite(ind) ? ind : 0));
  let s = head.startsWith('|') ? text.join('\n') : text.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ');
  s = s.replace(/\n*$/, '');
  return head.includes('-') ? s : `${s}\n`;
}

function plain(text: string): Yaml {
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

function quoted(s: string, at: number, no: number): { value: string; end: number } {
  const q = s[at]!;
  let i = at + 1;
  let out = '';
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (q === "'" && c === "'") {
      if (s[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    if (q === '"' && c === '"') return { value: JSON.parse(`"${out}"`) as string, end: i + 1 };
    if (q === '"' && c === '\\') {
      out += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    out += c;
  }
  return fail(no, 'a quoted string is not closed (quoted strings over several lines are not supported)');
}

function flow(s: string, at: number, no: number): { value: Yaml; end: number } {
  const close = s[at] === '[' ? ']' : '}';
  const arr: Yaml[] = [];
  const obj: { [k: string]: Yaml } = {};
  let i = at + 1;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const item = (stop: RegExp): Yaml => {
    ws();
    const c = s[i];
    if (c === '[' || c === '{') {
      const r = flow(s, i, no);
      i = r.end;
      return r.value;
    }
    if (c === '"' || c === "'") {
      const r = quoted(s, i, no);
      i = r.end;
      return r.value;
    }
    if (c && /[&*!]/.test(c)) fail(no, 'anchors, aliases and tags are not supported');
    const start = i;
    while (i < s.length && !stop.test(s[i]!)) i++;
    return plain(s.slice(start, i).trim());
  };
  for (;;) {
    ws();
    if (s[i] === close) return { value: close === ']' ? arr : obj, end: i + 1 };
    if (i >= s.length) fail(no, `expected ${close} (flow collections over several lines are not supported)`);
    if (close === ']') arr.push(item(/[,\]]/));
    else {
      const k = item(/[:,}]/);
      ws();
      let v: Yaml = null;
      if (s[i] === ':') {
        i++;
        v = item(/[,}]/);
      }
      obj[String(k)] = v;
    }
    ws();
    if (s[i] === ',') i++;
    else if (s[i] !== close) fail(no, `expected , or ${close}`);
  }
}
