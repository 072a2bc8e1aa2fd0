import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../../shared/contract/backups.ts';
import { decryptBackup } from './restore.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A backup object as the job script makes it (gzip or zstd, then age to the target's public key), in 64 KiB chunks like an S3 body. */
async function makeBackup(plain: Buffer, compress: (b: Buffer) => Buffer = gzipSync) {
  const identity = await generateX25519Identity();
  const e = new Encrypter();
  e.addRecipient(await identityToRecipient(identity));
  const object = Buffer.from(await e.encrypt(compress(plain)));
  const manifest: BackupManifest = { format: 1, job: 'job_x', kind: 'postgres', key: 'k', createdAt: 0, size: object.length, plainSha256: sha(plain), objectSha256: sha(object), dbVersion: '15', durationMs: 1, recipient: '' };
  const body = () => Readable.from(Array.from({ length: Math.ceil(object.length / 65536) }, (_, i) => object.subarray(i * 65536, (i + 1) * 65536)));
  return { identity, object, manifest, body };
}

async function drain(r: Readable): Promise<number> {
  let n = 0;
  for await (const c of r) n += (c as Buffer).length;
  return n;
}

describe('decryptBackup', () => {
  const plain = Buffer.concat([Buffer.from('COPY public.t (x) FROM stdin;\n1\n2\n\\.\n'), Buffer.from(randomBytes(3 * 1024 * 1024).toString('base64'))]);

  it('reads to the end: both digests match the manifest, rows counted', async () => {
    const b = await makeBackup(plain);
    const d = await decryptBackup(b.body(), b.identity, b.manifest);
    await drain(d.compressed);
    const done = await d.done;
    expect(done).toMatchObject({ plainSha256: b.manifest.plainSha256, objectSha256: b.manifest.objectSha256, bytes: plain.length });
    expect(done.rows.get('public.t')).toBe(2);
  });

  it('reads a zstd backup with the zstd codec; read as gzip it fails, saying it cannot be decompressed', async () => {
    const b = await makeBackup(plain, (x) => zstdCompressSync(x));
    const d = await decryptBackup(b.body(), b.identity, b.manifest, 'zstd');
    expect(d.codec).toBe('zstd');
    await drain(d.compressed);
    expect(await d.done).toMatchObject({ plainSha256: b.manifest.plainSha256, objectSha256: b.manifest.objectSha256, bytes: plain.length });
    const wrong = await decryptBackup(b.body(), b.identity, b.manifest, 'gzip');
    await expect(drain(wrong.compressed)).rejects.toThrow(/decrypted but cannot be decompressed as gzip/);
    await expect(wrong.done).rejects.toThrow(/decrypted but cannot be decompressed as gzip/);
  });

  it('a digest that differs from the manifest fails', async () => {
    const b = await makeBackup(plain);
    const d = await decryptBackup(b.body(), b.identity, { ...b.manifest, plainSha256: '0'.repeat(64) });
    await drain(d.compressed);
    await expect(d.done).rejects.toThrow(/plaintext sha256 .* differs from the manifest/);
  });

  it('a consumer that stops early (a failed restore or write) makes done reject instead of waiting forever', async () => {
    const b = await makeBackup(plain);
    const d = await decryptBackup(b.body(), b.identity, b.manifest);
    await new Promise<void>((resolve) => d.compressed.once('data', () => resolve()));
    d.compressed.destroy();
    const outcome = await Promise.race([d.done.then(() => 'resolved', (e: unknown) => String(e)), new Promise((r) => setTimeout(() => r('still pending after 5 s'), 5000))]);
    expect(outcome).toMatch(/not read to its end/);
  });

  it('a flipped byte fails with a clear error as a stream error and in done', async () => {
    const b = await makeBackup(plain);
    const flipped = Buffer.from(b.object);
    flipped[flipped.length - 40] = flipped[flipped.length - 40]! ^ 1;
    const d = await decryptBackup(Readable.from([flipped]), b.identity, b.manifest);
    await expect(drain(d.compressed)).rejects.toThrow(/cannot be decrypted/);
    await expect(d.done).rejects.toThrow(/cannot be decrypted/);
  });
});
