import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Decrypter } from 'age-encryption';
import type { BackupManifest } from '../../../shared/contract/backups.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { decompressor, type Codec } from './codec.ts';
import { DumpStats } from './dump-stats.ts';

export interface DecryptedBackup {
  codec: Codec;
  /** The compressed bytes (what was encrypted), streamed. Errors (corruption, wrong key) surface as stream errors. */
  compressed: Readable;
  /** Resolves when everything has been read: object and plaintext digests, rows and row-content sums per table (DumpStats). */
  done: Promise<{ objectSha256: string; plainSha256: string; bytes: number; rows: Map<string, number>; content: Map<string, bigint> }>;
}

function corrupted(e: unknown): AppError {
  return new AppError(
    'REMOTE_COMMAND_FAILED',
    `the backup cannot be decrypted: it is corrupted, truncated or was not encrypted to this target's key (age: ${errorMessage(e)})`,
  );
}

function undecompressable(codec: Codec, e: unknown): AppError {
  return new AppError('REMOTE_COMMAND_FAILED', `the backup was decrypted but cannot be decompressed as ${codec}: ${errorMessage(e)}`);
}

/**
 * object (S3 stream) → sha256 of the object → age decrypt with the identity → compressed bytes (gzip or zstd), of which
 * a copy is decompressed here to hash the plaintext and count dump rows. Nothing is buffered in full; backpressure holds.
 */
export async function decryptBackup(object: Readable, identity: string, manifest: BackupManifest | null, codec: Codec = 'gzip'): Promise<DecryptedBackup> {
  const objectHash = createHash('sha256');
  const tapped = object.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        objectHash.update(chunk);
        cb(null, chunk);
      },
    }),
  );
  object.on('error', (e) => tapped.destroy(e));
  const d = new Decrypter();
  // A target whose key was replaced keeps the older keys on further lines, for the backups made before.
  for (const line of identity.split('\n')) if (line.startsWith('AGE-SECRET-KEY-')) d.addIdentity(line.trim());
  let plainWeb: ReadableStream<Uint8Array>;
  try {
    plainWeb = await d.decrypt(Readable.toWeb(tapped) as ReadableStream<Uint8Array>);
  } catch (e) {
    object.destroy();
    throw corrupted(e);
  }
  const decrypted = Readable.fromWeb(plainWeb as NodeReadableStream<Uint8Array>);
  const stats = new DumpStats();
  const gunzip = decompressor(codec);
  gunzip.on('data', (c: Buffer) => stats.update(c));
  const gunzipDone = new Promise<void>((resolve, reject) => {
    gunzip.on('end', resolve);
    gunzip.on('error', reject);
  });
  gunzipDone.catch(() => {});
  const out = new PassThrough();
  // Set once every decrypted byte went through (before `out` can end).
  let ended = false;
  const fanOut = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (gunzip.write(chunk)) cb(null, chunk);
      else gunzip.once('drain', () => cb(null, chunk));
    },
    flush(cb) {
      ended = true;
      gunzip.end();
      cb();
    },
  });
  decrypted.on('error', (e) => out.destroy(corrupted(e)));
  // Not the codec it was said to be (a manifest or key naming the wrong one): the read ends here, with the reason.
  gunzip.on('error', (e) => out.destroy(undecompressable(codec, e)));
  fanOut.on('error', (e) => out.destroy(e));
  decrypted.pipe(fanOut).pipe(out);
  // A consumer that stops early (destroys `gzip`: a failed restore, a failed write) ends the read: `done` rejects
  // instead of waiting forever for an end that cannot come, and the S3 response is released.
  out.on('close', () => {
    if (ended) return;
    decrypted.destroy();
    object.destroy();
  });
  const done = (async () => {
    await new Promise<void>((resolve, reject) => {
      fanOut.on('finish', resolve);
      out.on('error', reject);
      out.on('close', () => {
        if (!ended) reject(new Error('the backup was not read to its end'));
      });
    });
    await gunzipDone.catch((e: unknown) => {
      throw undecompressable(codec, e);
    });
    const objectSha256 = objectHash.digest('hex');
    const plainSha256 = stats.digest();
    if (manifest && manifest.objectSha256 !== objectSha256) throw new AppError('REMOTE_COMMAND_FAILED', `the object's sha256 ${objectSha256} differs from the manifest's ${manifest.objectSha256}`);
    if (manifest && manifest.plainSha256 !== plainSha256) throw new AppError('REMOTE_COMMAND_FAILED', `the plaintext sha256 ${plainSha256} differs from the manifest's ${manifest.plainSha256}`);
    return { objectSha256, plainSha256, bytes: stats.bytes, rows: stats.rows, content: stats.content };
  })();
  done.catch(() => {});
  return { codec, compressed: out, done };
}
