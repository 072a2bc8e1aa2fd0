/**
 * Counts live server-side streams (logs, events, progress…) so cancellation can be observed:
 * a stream ends here when it completes, fails, or the client cancels it (iterator `return`).
 */
export class StreamRegistry {
  private active = 0;

  get count(): number {
    return this.active;
  }

  track<T>(inner: AsyncIterator<T> & AsyncIterable<T>, mapError: (e: unknown) => unknown = (e) => e): AsyncIterator<T> & AsyncIterable<T> {
    this.active++;
    let open = true;
    const close = () => {
      if (open) {
        open = false;
        this.active--;
      }
    };
    const wrapped: AsyncIterator<T> & AsyncIterable<T> = {
      next: async (...args: [] | [unknown]) => {
        try {
          const r = await inner.next(...args);
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
