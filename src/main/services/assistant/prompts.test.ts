import { describe, expect, it } from 'vitest';
import { codeBlocks, estimateTokens, fitBudget, parseDockerfileAnswer } from './prompts.ts';
import { detectFrameworks } from './context.ts';
import { backoffMs, parseRetryAfter, parseRetryDelay } from './retry.ts';
import { RateLimiter } from './rate-limit.ts';

describe('prompts', () => {
  it('finds fenced code blocks with their language', () => {
    expect(codeBlocks('a\n```sh\ndocker ps\n```\nb\n~~~\nplain\n~~~\n')).toEqual([
      { lang: 'sh', code: 'docker ps' },
      { lang: '', code: 'plain' },
    ]);
  });

  it('extracts a Dockerfile and .dockerignore from an answer, with or without language tags', () => {
    expect(parseDockerfileAnswer('x\n```dockerfile\nFROM a\n```\n```dockerignore\nnode_modules\n```')).toEqual({ dockerfile: 'FROM a\n', dockerignore: 'node_modules\n' });
    expect(parseDockerfileAnswer('```\n# build\nFROM b AS x\n```')).toEqual({ dockerfile: '# build\nFROM b AS x\n', dockerignore: null });
    expect(parseDockerfileAnswer('no code here')).toBeNull();
  });

  it('fits the budget: keeps the system prompt and the newest messages', () => {
    const history = Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content: `${i}`.repeat(400) }));
    const out = fitBudget('system', history, 500);
    expect(out[0]).toEqual({ role: 'system', content: 'system' });
    expect(out.at(-1)).toEqual(history.at(-1));
    expect(out.length).toBeLessThan(history.length + 1);
    expect(out.reduce((n, m) => n + m.content.length, 0)).toBeLessThanOrEqual(2000);
    const big = fitBudget('c'.repeat(10_000), [{ role: 'user', content: 'q?' }], 500);
    expect(big[0]!.content.length).toBeLessThanOrEqual(2000);
    expect(big.at(-1)).toEqual({ role: 'user', content: 'q?' });
    expect(estimateTokens('abcd'.repeat(10))).toBe(10);
  });
});

describe('framework detection', () => {
  it.each([
    [[{ name: 'package.json', content: '{"dependencies":{"next":"15"},"devDependencies":{"typescript":"5"}}' }], ['pnpm-lock.yaml'], ['Node.js', 'Next.js', 'TypeScript', 'pnpm']],
    [[{ name: 'requirements.txt', content: 'Django==5\ngunicorn' }], [], ['Python', 'Django', 'Gunicorn']],
    [[{ name: 'go.mod', content: 'module x\nrequire github.com/gin-gonic/gin v1' }], [], ['Go', 'Gin']],
    [[{ name: 'Gemfile', content: "gem 'rails', '~> 7'" }], [], ['Ruby', 'Rails']],
    [[], ['index.html'], ['Static site']],
  ])('%#', (manifests, files, expected) => {
    expect(detectFrameworks(manifests, files)).toEqual(expected);
  });
});

describe('retry and rate limit', () => {
  it('parses retry-after in seconds or as a date, and Google RetryInfo', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryDelay('{"retryDelay": "7s"}')).toBe(7000);
  });
  it('backs off exponentially with full jitter, capped', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, 500, 8000, () => 0.999))).toEqual([499, 999, 1998, 3996, 7992]);
    expect(backoffMs(3, 500, 8000, () => 0)).toBe(0);
  });
  it('allows N requests per minute per key', () => {
    let now = 0;
    const l = new RateLimiter(() => now);
    const sig = new AbortController().signal;
    return (async () => {
      await l.acquire('a', 2, 0, sig);
      await l.acquire('a', 2, 0, sig);
      await l.acquire('b', 2, 0, sig);
      expect(l.waitFor('a', 2)).toBe(60_000);
      await expect(l.acquire('a', 2, 1000, sig)).rejects.toThrow(/limit per minute/);
      now = 60_001;
      expect(l.waitFor('a', 2)).toBe(0);
    })();
  });
});
