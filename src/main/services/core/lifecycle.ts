/** Something that holds timers, subscriptions, connections or files until it is disposed. */
export type Dispose = () => void | Promise<void>;

/**
 * One ordered list of what to stop: `add` as things are created, `dispose` stops them in reverse order of creation,
 * each awaited, and goes on past a failing one (reported at the end), so one stuck service cannot keep the database
 * open. Disposing twice is a no-op.
 */
export class Disposables {
  private readonly entries: { name: string; dispose: Dispose }[] = [];
  private disposed: Promise<void> | null = null;

  /** Registers `dispose` under `name` (named in the error if it fails); returns `value` for `const x = add(...)`. */
  add<T>(name: string, value: T, dispose: (value: T) => void | Promise<void>): T {
    if (this.disposed) throw new Error(`${name}: created after the app was closed`);
    this.entries.push({ name, dispose: () => dispose(value) });
    return value;
  }

  /** The names in the order they will be disposed. */
  order(): string[] {
    return this.entries.map((e) => e.name).reverse();
  }

  dispose(): Promise<void> {
    this.disposed ??= this.run();
    return this.disposed;
  }

  private async run(): Promise<void> {
    const failed: string[] = [];
    for (const e of this.entries.slice().reverse()) {
      try {
        await e.dispose();
      } catch (err) {
        failed.push(`${e.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failed.length) throw new Error(`closing failed for ${failed.join('; ')}`);
  }
}
