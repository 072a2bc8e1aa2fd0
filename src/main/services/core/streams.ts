/**
 * Counts live server-side streams (logs, events, progress…) so cancellation can be observed:
 * a stream ends here when it completes, fails, or the client cancels it (iterator `return`).
 */
export class StreamRegistry {
  private active = 0;
  private readonly cancellers = new Set<() => void>();

  get count(): number {
    return this.active;
  }

  /** Ends every open stream from the server side (shutdown, server removed…): clients see the stream complete. */
  cancelAll(): void {
    for (const cancel of [...this.cancellers]) cancel();
  }

  track<T>(inner: AsyncIterator<T> & AsyncIterable<T>, mapError: (e: unknown) => unknown = (e) => e): AsyncIterator<T> & AsyncIterable<T> {
    this.active++;
    let open = true;
    // The waiting next() (if any) is settled by cancel. Not Promise.race with one long-lived promise: every race
    // would leave a reaction on it holding that call's result (each streamed value) until the stream ends.
    let cancelled: ((r: IteratorResult<T>) => void) | null = null;
    const cancel = () => {
      close();
      cancelled?.({ done: true, value: undefined as T });
      cancelled = null;
      void Promise.resolve(inner.return?.()).catch(() => {});
    };
    const close = () => {
      if (open) {
        open = false;
        this.active--;
        this.cancellers.delete(cancel);
      }
    };
    this.cancellers.add(cancel);
    const wrapped: AsyncIterator<T> & AsyncIterable<T> = {
      next: async (...args: [] | [unknown]) => {
        if (!open) return { done: true, value: undefined as T };
        try {
          const r = await new Promise<IteratorResult<T>>((resolve, reject) => {
            cancelled = resolve;
            inner.next(...args).then(resolve, reject);
          });
          cancelled = null;
          if (r.done) close();
          return r;
        } catch (e) {
          close();
          throw mapError(e);
        }
      },
      return: async (value?: unknown) => {
        close();
        return (await inner.return?.(value)) ?? { done: true, value: undefined as T };
      },
      throw: async (e?: unknown) => {
        close();
        if (inner.throw) return inner.throw(e);
        throw e;
      },
      [Symbol.asyncIterator]() {
        return wrapped;
      },
    };
    return wrapped;
  }
}
