import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DumpStats } from './dump-stats.ts';

describe('DumpStats', () => {
  it('counts COPY rows per table across chunk boundaries and hashes every byte', () => {
    const dump = 'SET x = 1;\nCOPY public.items (id, name) FROM stdin;\n1\ta\n2\tb\n3\tc\n\\.\nCOPY "Shop"."Orders" FROM stdin;\n\\.\nCOPY public.t (v) FROM stdin;\n9\n\\.\n';
    const s = new DumpStats();
    for (let i = 0; i < dump.length; i += 7) s.update(Buffer.from(dump.slice(i, i + 7)));
    expect(s.digest()).toBe(createHash('sha256').update(dump).digest('hex'));
    expect(Object.fromEntries(s.rows)).toEqual({ 'public.items': 3, 'Shop.Orders': 0, 'public.t': 1 });
    expect(s.bytes).toBe(dump.length);
  });
});
