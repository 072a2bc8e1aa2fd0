import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import type { TargetTest } from '../../../shared/contract/backups.ts';
import { errorMessage } from '../core/errors.ts';
import type { S3Credentials } from './s3.ts';

export interface ProbePlace {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: boolean;
}

type Step = TargetTest['step'];
const VERB: Record<Step, string> = { connect: 'reach', write: 'write a test object to', read: 'read the test object back from', delete: 'delete the test object from' };
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPROTO|TimeoutError|RequestTimeout)$/;

/** The network error code of an SDK failure (the SDK wraps Node's errors; AggregateError carries one per address). */
function networkCode(e: unknown): string | null {
  const seen = new Set<unknown>();
  const queue = [e];
  for (let i = 0; i < queue.length && i < 20; i++) {
    const x = queue[i] as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown } | null;
    if (!x || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    for (const c of [x.code, x.name]) if (typeof c === 'string' && NETWORK.test(c)) return c;
    queue.push(x.cause, ...(Array.isArray(x.errors) ? x.errors : []));
  }
  return null;
}

/**
 * An S3 failure in words, first the field most likely wrong. By the S3 error code (and HTTP status when the server
 * sends no code), never by message text.
 */
export function explainS3Error(e: unknown, step: Step, place: ProbePlace): { field: string; detail: string } {
  const net = networkCode(e);
  const verb = VERB[step];
  if (net) {
    const why = net === 'ECONNREFUSED' ? 'connection refused' : net === 'ENOTFOUND' || net === 'EAI_AGAIN' ? 'host name not found' : net.startsWith('Timeout') || net === 'ETIMEDOUT' || net === 'RequestTimeout' ? 'no answer in time' : net;
    return { field: 'endpoint', detail: `cannot reach ${place.endpoint} (${why}): check the endpoint's host, port and http/https` };
  }
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.Code ?? err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  switch (code) {
    case 'NoSuchBucket':
      return { field: 'bucket', detail: `there is no bucket "${place.bucket}" at ${place.endpoint}: check the bucket name (or create it)` };
    case 'InvalidAccessKeyId':
      return { field: 'accessKeyId', detail: `the S3 server does not know this access key id (InvalidAccessKeyId)` };
    case 'SignatureDoesNotMatch':
      return { field: 'secretAccessKey', detail: 'the secret access key does not match the access key id (SignatureDoesNotMatch)' };
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return { field: 'accessKeyId', detail: `this key may not ${verb} bucket "${place.bucket}"${place.prefix ? ` under ${place.prefix}/` : ''} (AccessDenied): allow it to put, get and delete objects there` };
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return { field: 'region', detail: `bucket "${place.bucket}" is not in region ${place.region} (${code}): use the bucket's region` };
    case 'InvalidBucketName':
      return { field: 'bucket', detail: `the S3 server refuses the bucket name "${place.bucket}" (InvalidBucketName)` };
  }
  if (status === 403) return { field: 'accessKeyId', detail: `the S3 server refused to ${verb} bucket "${place.bucket}" (HTTP 403): check the keys and their permissions` };
  if (status === 404) return { field: 'bucket', detail: `no bucket "${place.bucket}" at ${place.endpoint} (HTTP 404), or the endpoint is not an S3 API: check both` };
  if (status === 301 || status === 307) return { field: 'region', detail: `the S3 server redirects bucket "${place.bucket}" elsewhere (HTTP ${status}): check the region and the endpoint` };
  return { field: 'endpoint', detail: `could not ${verb} ${place.endpoint}: ${code ? `${code}: ` : ''}${errorMessage(e)}${status ? ` (HTTP ${status})` : ''}` };
}

const TIMEOUT_MS = 10_000;

/** Writes, reads back and deletes a small probe object under the target's prefix; the first failure is the result. */
export async function probeTarget(place: ProbePlace, creds: S3Credentials): Promise<TargetTest> {
  const client = new S3Client({
    endpoint: place.endpoint,
    region: place.region,
    forcePathStyle: place.pathStyle,
    credentials: creds,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: TIMEOUT_MS, requestTimeout: TIMEOUT_MS },
  });
  const key = `${place.prefix ? `${place.prefix}/` : ''}.openpanel-probe-${randomBytes(6).toString('hex')}`;
  const body = `openpanel probe ${key}`;
  let step: Step = 'write';
  try {
    await client.send(new PutObjectCommand({ Bucket: place.bucket, Key: key, Body: body, ContentType: 'text/plain' }));
    step = 'read';
    const r = await client.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }));
    const text = await r.Body?.transformToString();
    if (text !== body) return { passed: false, step, field: 'endpoint', detail: `${place.endpoint} returned other content than was written (${text?.length ?? 0} bytes): is it an S3 API?` };
    step = 'delete';
    await client.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: key }));
    return { passed: true, step, field: null, detail: `wrote, read back and deleted ${key} in bucket ${place.bucket}` };
  } catch (e) {
    const { field, detail } = explainS3Error(e, step, place);
    return { passed: false, step: networkCode(e) && step === 'write' ? 'connect' : step, field, detail };
  } finally {
    client.destroy();
  }
}
