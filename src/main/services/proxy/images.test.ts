import { describe, expect, it } from 'vitest';
import { baseImageAliases, DEFAULT_IMAGES, resolveImage } from './images.ts';

describe('image overrides', () => {
  it('maps exact references first', () => {
    const o = { prefix: 'mirror.local:5000', images: { 'caddy:2': 'openpanel-test/caddy:latest' } };
    expect(resolveImage('caddy:2', o)).toBe('openpanel-test/caddy:latest');
  });
  it('puts a mirror prefix in front of Docker Hub names, with library/ for official images', () => {
    const o = { prefix: 'mirror.local:5000/', images: {} };
    expect(resolveImage('traefik:v3.3', o)).toBe('mirror.local:5000/library/traefik:v3.3');
    expect(resolveImage('acme/tool:1', o)).toBe('mirror.local:5000/acme/tool:1');
    expect(resolveImage('ghcr.io/acme/tool:1', o)).toBe('ghcr.io/acme/tool:1');
    expect(resolveImage('localhost/x', o)).toBe('localhost/x');
  });
  it('leaves references alone without overrides', () => {
    expect(resolveImage(DEFAULT_IMAGES.builder, { prefix: null, images: {} })).toBe('docker:27-cli');
  });
  it('treats mappings of other images as base-image aliases for builds', () => {
    const o = { prefix: null, images: { 'caddy:2': 'x/caddy', 'busybox:latest': 'openpanel-test/busybox:latest' } };
    expect(baseImageAliases(o)).toEqual([['busybox:latest', 'openpanel-test/busybox:latest']]);
  });
});
