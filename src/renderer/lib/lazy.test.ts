import { createElement, Suspense } from 'react';
import { prerender } from 'react-dom/static';
import { describe, expect, it } from 'vitest';
import { lazyChunk } from './lazy.ts';

async function render(node: Parameters<typeof prerender>[0]): Promise<string> {
  const { prelude } = await prerender(node);
  return new Response(prelude).text();
}

function Page({ name }: { name: string }) {
  return createElement('p', null, `page ${name}`);
}

describe('lazyChunk', () => {
  it('tries a failed chunk import once more and renders the page', async () => {
    let calls = 0;
    const Lazy = lazyChunk(async () => {
      calls++;
      if (calls === 1) throw new TypeError('Failed to fetch dynamically imported module');
      return { default: Page };
    });
    const html = await render(createElement(Suspense, { fallback: 'loading' }, createElement(Lazy, { name: 'servers' })));
    expect(calls).toBe(2);
    expect(html).toContain('page servers');
  });

  it('gives up after the second failure (the error reaches the page)', async () => {
    let calls = 0;
    const Lazy = lazyChunk<typeof Page>(async () => {
      calls++;
      throw new TypeError(`Failed to fetch, attempt ${calls}`);
    });
    const errors: unknown[] = [];
    await prerender(createElement(Suspense, { fallback: 'loading' }, createElement(Lazy, { name: 'x' })), { onError: (e) => void errors.push(e) }).catch((e: unknown) => errors.push(e));
    expect(calls).toBe(2);
    expect(String(errors[0])).toContain('attempt 2');
  });
});
