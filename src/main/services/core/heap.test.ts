import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// A process with ~30 MB live that keeps promoting short-lived objects (what streaming logs does), its peak heap
// measured with V8's default growth and with limitHeapGrowth(), each in a fresh process.
const CHURN = `
import v8 from 'node:v8';
import { limitHeapGrowth } from ${JSON.stringify(join(import.meta.dirname, 'heap.ts'))};
if (process.argv[1] === 'limit') limitHeapGrowth();
const live = [];
for (let i = 0; i < 300_000; i++) live.push({ i, s: 'live ' + i });
let peak = 0;
const keep = [];
for (let round = 0; round < 1500; round++) {
  keep.push(Array.from({ length: 2000 }, (_, j) => ({ j, s: j + ' ' + round })));
  if (keep.length > 30) keep.shift();
  peak = Math.max(peak, v8.getHeapStatistics().used_heap_size);
}
console.log(JSON.stringify({ peak, live: live.length }));
`;

async function peakHeap(mode: 'default' | 'limit'): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHURN, mode], { timeout: 120_000 });
  return (JSON.parse(stdout) as { peak: number }).peak;
}

describe('limitHeapGrowth', () => {
  it('keeps the heap of a process that promotes garbage well below what V8 lets it grow to by default', async () => {
    const [unlimited, limited] = await Promise.all([peakHeap('default'), peakHeap('limit')]);
    console.log(`peak heap: default ${(unlimited / 2 ** 20).toFixed(0)} MB, limited ${(limited / 2 ** 20).toFixed(0)} MB`);
    // The default lets garbage pile up (several times the ~30 MB live); the limit collects it much sooner.
    expect(unlimited).toBeGreaterThan(100 * 2 ** 20);
    expect(limited).toBeLessThan(unlimited * 0.75);
  }, 150_000);
});
