import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codecOf, decompressed, forGunzip } from './codec.ts';

const bytes = async (r: Readable) => {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
};
const read = async (r: Readable) => (await bytes(r)).toString('utf8');

describe('backup codecs', () => {
  it('takes the codec from the manifest, else from the key; names what it cannot read', () => {
    expect(codecOf('p/job_a/20260101T000000Z.sql.zst.age', { codec: 'zstd' })).toBe('zstd');
    expect(codecOf('p/job_a/20260101T000000Z.sql.gz.age', { codec: 'zstd' })).toBe('zstd');
    // Manifests written before the codec was recorded, and backups without a manifest.
    expect(codecOf('p/job_a/20260101T000000Z.sql.gz.age', {})).toBe('gzip');
    expect(codecOf('p/job_a/20260101T000000Z.tar.zst.age', null)).toBe('zstd');
    expect(() => codecOf('p/job_a/20260101T000000Z.sql.xz.age', null)).toThrow(/^key: .* names no codec/);
    expect(() => codecOf('p/job_a/20260101T000000Z.sql.gz.age', { codec: 'brotli' })).toThrow(/compressed with brotli/);
  });

  it('decompresses either codec here; a gunzip container gets gzip as it is and zstd already decompressed', async () => {
    const text = 'COPY public.t (x) FROM stdin;\n1\n\\.\n';
    expect(await read(decompressed({ codec: 'zstd', compressed: Readable.from([zstdCompressSync(text)]) }))).toBe(text);
    expect(await read(decompressed({ codec: 'gzip', compressed: Readable.from([gzipSync(text)]) }))).toBe(text);
    const gz = forGunzip({ codec: 'gzip', compressed: Readable.from([gzipSync(text)]) });
    expect(gz.filter).toBe('gunzip');
    expect(await bytes(gz.stdin)).toEqual(gzipSync(text));
    const zst = forGunzip({ codec: 'zstd', compressed: Readable.from([zstdCompressSync(text)]) });
    expect(zst.filter).toBe('cat');
    expect(await read(zst.stdin)).toBe(text);
  });
});
