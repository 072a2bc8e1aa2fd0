import { createHash, type Hash } from 'node:crypto';

const HEAD_MAX = 65_536;
const NL = 0x0a;
const QUOTE = 0x27;
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMICOLON = 0x3b;

/**
 * Reads a plain SQL dump as it streams by: sha256 of every byte, and the number of data rows per table, from
 * - pg_dump: the lines of each `COPY <table> (...) FROM stdin;` block (until the `\.` line);
 * - mariadb-dump/mysqldump: the tuples of each `INSERT INTO \`t\` VALUES (...),(...);` statement (on one line or
 *   one tuple per line), counted by a small state machine (quotes, backslash escapes, parentheses, the final `;`)
 *   that streams through statements of any length.
 * Any other bytes (an RDB, a Mongo archive) are only hashed in effect: no line matches. Used to compare a restore
 * with the backup.
 *
 * `content` holds, per table, the sum modulo 2^128 of the sha256 (first 16 bytes) of each row as the dump writes it
 * (a COPY line, an INSERT tuple from `(` to `)`): equal multisets of rows give equal sums in any row order, so a
 * fresh dump of the restored database (`contentOf`) can be compared with the backup without sorting or buffering.
 */
export class DumpStats {
  private readonly hash = createHash('sha256');
  /** The start of the current line (capped), to recognise COPY/INSERT/`\.`. */
  private head = '';
  /** The rest of the current line is not looked at (it follows the `;` of an INSERT). */
  private skipLine = false;
  private copyTable: string | null = null;
  /** While inside the VALUES of an INSERT statement (one line or many): the table and the tuple parser's state. */
  private insert: { table: string; inStr: boolean; esc: boolean; depth: number } | null = null;
  readonly rows = new Map<string, number>();
  readonly content = new Map<string, bigint>();
  /** The hash of the row being read (a COPY line or an INSERT tuple), across chunks. */
  private rowHash: Hash | null = null;
  bytes = 0;

  private foldRow(table: string): void {
    const d = this.rowHash!.digest();
    this.rowHash = null;
    const v = (d.readBigUInt64BE(0) << 64n) | d.readBigUInt64BE(8);
    this.content.set(table, BigInt.asUintN(128, (this.content.get(table) ?? 0n) + v));
  }

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let i = 0;
    while (i < chunk.length) {
      if (this.insert) {
        i = this.tuples(chunk, i);
        if (this.insert) break;
        this.skipLine = true;
        continue;
      }
      const nl = chunk.indexOf(NL, i);
      const end = nl === -1 ? chunk.length : nl;
      if (this.copyTable !== null && !this.skipLine) (this.rowHash ??= createHash('sha256')).update(chunk.subarray(i, end));
      if (!this.skipLine && this.head.length < HEAD_MAX) {
        const added = Math.min(end, i + HEAD_MAX - this.head.length) - i;
        this.head += chunk.toString('latin1', i, i + added);
        if (this.copyTable === null && this.head.startsWith('INSERT INTO `')) {
          const resume = this.startInsert(i, this.head.length - added);
          if (resume !== null) {
            i = resume;
            continue;
          }
        }
      }
      if (nl === -1) break;
      this.endLine();
      i = nl + 1;
    }
  }

  /**
   * When the head holds `INSERT INTO `t` [(cols)] VALUES`, the tuple parser takes over right after VALUES (mariadb-dump
   * puts each tuple on its own line, mysqldump all on one); returns where in this chunk to resume.
   */
  private startInsert(segStart: number, headBefore: number): number | null {
    const m = /^INSERT INTO `((?:[^`]|``)+)`(?: \([^)]*\))? VALUES(?=[ \n]|$)/.exec(this.head);
    if (!m) return null;
    const table = m[1]!.replaceAll('``', '`');
    this.rows.set(table, this.rows.get(table) ?? 0);
    this.insert = { table, inStr: false, esc: false, depth: 0 };
    this.head = '';
    // The match ends in this segment (it did not match before it).
    return segStart + Math.max(0, m[0].length - headBefore);
  }

  /** Counts top-level tuples until the statement's `;`; returns the index after it (or the chunk's end). */
  private tuples(chunk: Buffer, from: number): number {
    const s = this.insert!;
    let n = 0;
    let j = from;
    // Where the bytes of the tuple being read start in this chunk (-1: between tuples).
    let tupleFrom = s.depth > 0 ? from : -1;
    for (; j < chunk.length; j++) {
      const b = chunk[j]!;
      if (s.inStr) {
        if (s.esc) s.esc = false;
        else if (b === BACKSLASH) s.esc = true;
        else if (b === QUOTE) s.inStr = false;
      } else if (b === QUOTE) s.inStr = true;
      else if (b === OPEN) {
        if (s.depth === 0) {
          n++;
          tupleFrom = j;
          this.rowHash = createHash('sha256');
        }
        s.depth++;
      } else if (b === CLOSE) {
        s.depth--;
        if (s.depth === 0 && tupleFrom !== -1) {
          this.rowHash!.update(chunk.subarray(tupleFrom, j + 1));
          this.foldRow(s.table);
          tupleFrom = -1;
        }
      } else if (b === SEMICOLON && s.depth === 0) {
        this.insert = null;
        j++;
        break;
      }
    }
    if (tupleFrom !== -1 && this.insert) this.rowHash!.update(chunk.subarray(tupleFrom, j));
    if (n) this.rows.set(s.table, this.rows.get(s.table)! + n);
    return j;
  }

  private endLine(): void {
    const line = this.head;
    this.head = '';
    if (this.skipLine) {
      this.skipLine = false;
      return;
    }
    if (this.copyTable !== null) {
      if (line === '\\.') {
        this.copyTable = null;
        this.rowHash = null;
      } else {
        this.rows.set(this.copyTable, this.rows.get(this.copyTable)! + 1);
        this.rowHash ??= createHash('sha256');
        this.foldRow(this.copyTable);
      }
      return;
    }
    const m = /^COPY ([^\s(]+) (?:\([^)]*\) )?FROM stdin;$/.exec(line);
    if (m) {
      this.copyTable = m[1]!.replaceAll('"', '');
      this.rows.set(this.copyTable, this.rows.get(this.copyTable) ?? 0);
    }
  }

  digest(): string {
    if (this.head && !this.insert) this.endLine();
    return this.hash.digest('hex');
  }
}
