import { describe, expect, it } from 'vitest';
import { relevantLines } from './log-lines.ts';

describe('relevantLines', () => {
  it('keeps the tail and earlier error lines with one line of context, gaps marked', () => {
    const log = [
      ...Array.from({ length: 50 }, (_, i) => `step ${i}`),
      'npm ERR! missing script: build',
      ...Array.from({ length: 300 }, (_, i) => `noise ${i}`),
      '\x1b[31m!! docker build failed\x1b[0m',
    ].join('\n');
    const out = relevantLines(log, { tail: 5 });
    expect(out[0]).toBe('… (49 lines left out)');
    expect(out.slice(1, 3)).toEqual(['step 49', 'npm ERR! missing script: build']);
    expect(out[3]).toBe('… (296 lines left out)');
    expect(out.slice(4)).toEqual(['noise 296', 'noise 297', 'noise 298', 'noise 299', '!! docker build failed']);
  });

  it('returns a short log whole and cuts very long lines', () => {
    expect(relevantLines('a\nb\n\n')).toEqual(['a', 'b']);
    expect(relevantLines('x'.repeat(900), { maxLineChars: 10 })).toEqual([`${'x'.repeat(10)}…`]);
  });

  it('bounds the number of error matches outside the tail', () => {
    const log = [...Array.from({ length: 100 }, () => 'error: again'), ...Array.from({ length: 10 }, (_, i) => `t${i}`)].join('\n');
    expect(relevantLines(log, { tail: 10, maxMatches: 3 }).filter((l) => l === "error: again")).toHaveLength(3);
  });
});
