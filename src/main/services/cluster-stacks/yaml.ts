import { isAlias, isNode, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { AppError } from '../core/errors.ts';

/**
 * A Compose file read to check it before it reaches a node (Docker reads the file itself), with the `yaml`
 * library: YAML 1.2 like Docker's loader, anchors, aliases and merge keys (`x-common: &c` … `<<: *c`) expanded as
 * Docker expands them, so what is checked is what runs. Bounded: at most MAX_ALIASES alias uses and no alias that
 * expands into a huge tree (the library's own resource-exhaustion guard), one document, unique keys, and no
 * application tags (Docker would read `!reset`/`!override` differently from what was checked).
 */
export type Yaml = null | boolean | number | string | Yaml[] | { [k: string]: Yaml };

const MAX_ALIASES = 100;

const fail = (line: number, msg: string): never => {
  throw new AppError('INPUT_INVALID', `compose: line ${line}: ${msg}`);
};

/** Parses the text; an error names `compose`, the line and what was expected. */
export function parseYaml(text: string): Yaml {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false, strict: true });
  if (!Array.isArray(docs)) return fail(1, 'expected a Compose file'); // an empty stream
  const lineOf = (offset: number | undefined) => lines.linePos(offset ?? 0).line;
  if (docs.length > 1) fail(lineOf(docs[1]?.range[0]), 'expected one document (--- or ... after content)');
  const doc = docs[0] as Document.Parsed | undefined;
  if (!doc) return fail(1, 'expected a Compose file');
  const err = doc.errors[0];
  if (err) fail(lineOf(err.pos[0]), plain(err.message));
  const warn = doc.warnings[0];
  if (warn) fail(lineOf(warn.pos[0]), plain(warn.message));
  let aliases = 0;
  visit(doc, (_key, node) => {
    if (isAlias(node) && ++aliases > MAX_ALIASES) fail(lineOf(node.range?.[0]), `expected at most ${MAX_ALIASES} aliases`);
    if (isNode(node) && node.tag && !node.tag.startsWith('tag:yaml.org,2002:')) fail(lineOf(node.range?.[0]), `the tag ${node.tag} is not supported`);
  });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES }) as Yaml;
  } catch (e) {
    return fail(1, `expected aliases that do not expand into a huge file (${plain((e as Error).message)})`);
  }
}

/** The library's message without its position suffix (the line is given separately). */
const plain = (msg: string) => msg.replace(/ at line \d+, column \d+.*$/s, '').trim();
