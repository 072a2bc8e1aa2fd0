import { createElement, Suspense } from 'react';
import { prerenderToNodeStream } from 'react-dom/static';
import { describe, expect, it } from 'vitest';
import { lazyChunk } from './lazy.ts';

async function render(node: Parameters<typeof prerenderToNodeStream>[0]): Promise<string> {
  const { prelude } = await prerenderToNodeStream(node);
  let html = '';
  for await (const chunk of prelude) html += String(chunk);
  return html;
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
    await prerenderToNodeStream(createElement(Suspense, { fallback: 'loading' }, createElement(Lazy, { name: 'x' })), { onError: (e) => void errors.push(e) }).catch((e: unknown) => errors.push(e));
    expect(calls).toBe(2);
    expect(String(errors[0])).toContain('attempt 2');
  });
});
