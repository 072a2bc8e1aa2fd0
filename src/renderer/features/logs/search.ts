import type { LogBuffer } from './buffer.ts';
import { stripAnsi } from './ansi.ts';

/**
 * Lines matching a search, by sequence number, kept up to date as lines arrive (only new lines are scanned)
 * and trimmed as old ones leave the buffer. Case-insensitive substring search on the text without colours.
 */
export class LogSearch {
  query = '';
  matches: number[] = [];
  private scannedTo = 0;
  private start = 0;

  set(query: string, buffer: LogBuffer): void {
    this.query = query.toLowerCase();
    this.matches = [];
    this.start = 0;
    this.scannedTo = buffer.first;
    this.update(buffer);
  }

  /** Scans lines that arrived since the last call; forgets matches that were dropped from the buffer. */
  update(buffer: LogBuffer): void {
    if (this.scannedTo < buffer.first) this.scannedTo = buffer.first;
    if (this.query) {
      const q = this.query;
      for (let seq = this.scannedTo; seq < buffer.end; seq++) {
        if (stripAnsi(buffer.textAt(seq)).toLowerCase().includes(q)) this.matches.push(seq);
      }
    }
    this.scannedTo = buffer.end;
    while (this.start < this.matches.length && this.matches[this.start]! < buffer.first) this.start++;
    if (this.start > 4096) {
      this.matches = this.matches.slice(this.start);
      this.start = 0;
    }
  }

  get count(): number {
    return this.matches.length - this.start;
  }

  /** The match after (dir 1) or before (dir -1) `seq`, wrapping around; null when none. */
  step(seq: number | null, dir: 1 | -1): number | null {
    const n = this.count;
    if (n === 0) return null;
    const at = (i: number) => this.matches[this.start + i]!;
    if (seq === null) return dir === 1 ? at(0) : at(n - 1);
    // Binary search for the first match > seq (dir 1) or the last < seq (dir -1).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at(mid) <= seq) lo = mid + 1;
      else hi = mid;
    }
    if (dir === 1) return lo < n ? at(lo) : at(0);
    let i = lo - 1;
    if (i >= 0 && at(i) === seq) i--;
    return i >= 0 ? at(i) : at(n - 1);
  }

  /** The i-th match still in the buffer (0 = oldest). */
  at(i: number): number {
    return this.matches[this.start + i]!;
  }

  /** 1-based position of `seq` among the matches, or 0. */
  position(seq: number | null): number {
    if (seq === null) return 0;
    const i = this.matches.indexOf(seq, this.start);
    return i < 0 ? 0 : i - this.start + 1;
  }
}
