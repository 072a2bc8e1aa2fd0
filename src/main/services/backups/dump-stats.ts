import { createHash } from 'node:crypto';

/**
 * Reads a plain pg_dump as it streams by: sha256 of every byte, and the number of data rows of each
 * `COPY <table> (...) FROM stdin;` block (until the `\.` line). Used to compare a restore with the backup.
 */
export class DumpStats {
  private readonly hash = createHash('sha256');
  private partial = '';
  private table: string | null = null;
  readonly rows = new Map<string, number>();
  bytes = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const text = this.partial + chunk.toString('latin1');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (this.table !== null) {
      if (line === '\\.') this.table = null;
      else this.rows.set(this.table, (this.rows.get(this.table) ?? 0) + 1);
      return;
    }
    const m = /^COPY ([^\s(]+) (?:\([^)]*\) )?FROM stdin;$/.exec(line);
    if (m) {
      this.table = m[1]!.replaceAll('"', '');
      this.rows.set(this.table, this.rows.get(this.table) ?? 0);
    }
  }

  digest(): string {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    return this.hash.digest('hex');
  }
}
