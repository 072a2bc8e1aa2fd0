import { describe, expect, it } from 'vitest';
import { envPatch } from './EnvList.tsx';

describe('the env part of an app update', () => {
  it('sends only what changed: a replacement, a removal (null) and new variables; an empty replacement keeps the value', () => {
    expect(envPatch({ changes: { ALPHA: 'alpha-2', BRAVO: null, CHARLIE: '' }, added: [{ name: ' DELTA ', value: 'd' }, { name: '', value: '' }] })).toEqual({ ALPHA: 'alpha-2', BRAVO: null, DELTA: 'd' });
    expect(envPatch({ changes: {}, added: [] })).toEqual({});
  });
  it('keeps a new row with a value but no name, so the API refuses it instead of the value being dropped silently', () => {
    expect(envPatch({ changes: {}, added: [{ name: ' ', value: 'v' }] })).toEqual({ '': 'v' });
  });
});
