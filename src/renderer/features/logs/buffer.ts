/**
 * The lines the page keeps: a ring buffer of at most `capacity` lines, so a stream of any length uses bounded
 * memory. Lines are addressed by their sequence number since the stream started (`first`…`end - 1`); older ones
 * are dropped and counted.
 */
/** 0 stdout, 1 stderr, 2 a marker: the container restarted and the follow re-attached. */
export type LineKind = 0 | 1 | 2;

export class LogBuffer {
  readonly capacity: number;
  private readonly container: Uint8Array;
  private readonly stream: Uint8Array;
  private readonly time: Float64Array;
  private readonly text: string[];
  /** Sequence number of the next line to be added (= lines received so far). */
  end = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.container = new Uint8Array(capacity);
    this.stream = new Uint8Array(capacity);
    this.time = new Float64Array(capacity);
    this.text = new Array<string>(capacity);
  }

  /** Sequence number of the oldest line kept. */
  get first(): number {
    return Math.max(0, this.end - this.capacity);
  }

  get length(): number {
    return this.end - this.first;
  }

  /** Lines dropped to stay within capacity. */
  get dropped(): number {
    return this.first;
  }

  push(lines: readonly (readonly [number, LineKind, number | null, string])[]): void {
    for (const [c, s, t, text] of lines) {
      const i = this.end % this.capacity;
      this.container[i] = c;
      this.stream[i] = s;
      this.time[i] = t ?? Number.NaN;
      this.text[i] = text;
      this.end++;
    }
  }

  has(seq: number): boolean {
    return seq >= this.first && seq < this.end;
  }

  textAt(seq: number): string {
    return this.text[seq % this.capacity]!;
  }

  line(seq: number): { c: number; s: LineKind; t: number | null; text: string } {
    const i = seq % this.capacity;
    const t = this.time[i]!;
    return { c: this.container[i]!, s: this.stream[i]! as LineKind, t: Number.isNaN(t) ? null : t, text: this.text[i]! };
  }

  clear(): void {
    this.end = 0;
    this.text.fill('');
  }
}
