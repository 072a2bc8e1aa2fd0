import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

const RETRY_AFTER_MS = 300;

/**
 * React.lazy for a chunk loaded on demand, whose import is tried once more after a failure: a fetch cut short
 * (Chromium aborts requests in flight when the machine's network changes, loopback included) must not leave a
 * page blank. Chromium fetches a failed module again on the next import().
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same bound as React.lazy's
export function lazyChunk<T extends ComponentType<any>>(load: () => Promise<{ default: T }>): LazyExoticComponent<T> {
  return lazy(() =>
    load().catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
      return load();
    }),
  );
}
