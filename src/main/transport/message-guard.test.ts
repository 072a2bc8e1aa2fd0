import { describe, expect, it } from 'vitest';
import { isWellFormedPeerMessage } from './message-guard.ts';

describe('peer message guard', () => {
  it('accepts the oRPC peer message kinds', () => {
    expect(isWellFormedPeerMessage(JSON.stringify({ i: '1', p: { u: '/system/info', b: { json: {} } } }))).toBe(true);
    expect(isWellFormedPeerMessage(JSON.stringify({ i: '2', t: 4 }))).toBe(true);
    expect(isWellFormedPeerMessage(JSON.stringify({ i: '3', t: 3, p: { e: 'done' } }))).toBe(true);
  });
  it('refuses garbage, absolute URLs and unknown types', () => {
    for (const bad of ['', 'x', '{}', '[]', 'null', JSON.stringify({ i: 1, p: { u: 'http://evil/x' } }), JSON.stringify({ i: 1, t: 9, p: {} }), JSON.stringify({ i: {}, p: { u: '/a' } })]) {
      expect(isWellFormedPeerMessage(bad), bad).toBe(false);
    }
    expect(isWellFormedPeerMessage(new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
