import type { Readable, Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import type { BackupManifest } from '../../../shared/contract/backups.ts';
import { AppError } from '../core/errors.ts';

/**
 * The compression of a backup, between the dump and age. backup.bash writes zstd (`-T0`, every core) when the tools
 * image has it, else gzip; every backup made before the codec was recorded is gzip. Both are read forever.
 */
export const CODECS = { gzip: 'gz', zstd: 'zst' } as const;
export type Codec = keyof typeof CODECS;

/** What a backup's key ends with after the dump's extension: `<stamp>.<ext>.<codec ext>.age`. */
export const KEY_TAIL = /^\d{8}T\d{6}Z\.[a-z]+\.(gz|zst)\.age$/;

/**
 * The codec of a backup: its manifest's `codec`, else what its key says (manifests before the codec was recorded
 * have none, and a backup whose manifest is missing is still read).
 */
export function codecOf(key: string, manifest: Pick<BackupManifest, 'codec'> | null): Codec {
  const recorded = manifest?.codec;
  if (recorded !== undefined) {
    if (recorded in CODECS) return recorded as Codec;
    throw new AppError('INPUT_INVALID', `key: ${key} is compressed with ${recorded}, which this version cannot read (expected gzip or zstd)`);
  }
  const ext = /\.([a-z]+)\.age$/.exec(key)?.[1];
  const found = (Object.keys(CODECS) as Codec[]).find((c) => CODECS[c] === ext);
  if (!found) throw new AppError('INPUT_INVALID', `key: ${key} names no codec this version reads (expected .gz.age or .zst.age)`);
  return found;
}

/** A decompressor of the codec, run here in the app (zlib: gzip, or zstd). */
export function decompressor(codec: Codec): Transform {
  return codec === 'zstd' ? createZstdDecompress() : createGunzip();
}

/** A backup's compressed bytes (what age decrypted) and their codec. */
export interface Compressed {
  codec: Codec;
  compressed: Readable;
}

/** The plaintext of a backup, decompressed here; errors of the source carry over. */
export function decompressed(b: Compressed): Readable {
  const d = decompressor(b.codec);
  b.compressed.on('error', (e) => d.destroy(e));
  // Until a consumer (execInContainer) listens, an error here must not be an uncaught exception; the consumer still
  // sees it (d is destroyed, with d.errored), and the cause is reported from the backup's `done`.
  d.on('error', () => {});
  return b.compressed.pipe(d);
}

/**
 * What to feed a container that has gunzip (PostgreSQL, the tools image): gzip as it is (smaller over SSH), any
 * other codec decompressed here. `filter` is the container's first stage: 'gunzip' or 'cat', passed as an argument.
 */
export function forGunzip(b: Compressed): { stdin: Readable; filter: 'gunzip' | 'cat' } {
  return b.codec === 'gzip' ? { stdin: b.compressed, filter: 'gunzip' } : { stdin: decompressed(b), filter: 'cat' };
}
