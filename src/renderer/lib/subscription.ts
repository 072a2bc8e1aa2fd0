import { useEffect, useRef } from 'react';

/**
 * Runs an API stream for the lifetime of a component (or until `deps` change) and hands each item to
 * `onItem`; the stream is cancelled on unmount, which stops it on the server too.
 */
export function useSubscription<T>(open: (signal: AbortSignal) => Promise<AsyncIterable<T> | Iterable<T>>, onItem: (item: T) => void, deps: readonly unknown[]): void {
  const handler = useRef(onItem);
  useEffect(() => {
    handler.current = onItem;
  });
  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      try {
        for await (const item of await open(ac.signal)) handler.current(item);
      } catch {
        /* cancelled, or the backend went away (the app shows a banner for that) */
      }
    })();
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
