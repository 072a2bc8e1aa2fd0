import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { explainS3Error } from './s3-probe.ts';

// The codes s3rver cannot produce (it does not check v4 signatures or regions), as the SDK raises them.
const place = { endpoint: 'https://s3.example', region: 'eu-west-1', bucket: 'bkt', prefix: 'nightly', pathStyle: true };
const sdkError = (name: string, status: number) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} from the server` });

describe('explainS3Error', () => {
  it('names the field by the S3 error code', () => {
    expect(explainS3Error(sdkError('SignatureDoesNotMatch', 403), 'write', place)).toMatchObject({ field: 'secretAccessKey' });
    expect(explainS3Error(sdkError('PermanentRedirect', 301), 'write', place)).toMatchObject({ field: 'region', detail: expect.stringContaining('not in region eu-west-1') });
    expect(explainS3Error(sdkError('AccessDenied', 403), 'delete', place)).toMatchObject({ field: 'accessKeyId', detail: expect.stringContaining('may not delete the test object from bucket "bkt" under nightly/') });
  });

  it('falls back on the HTTP status, then on the endpoint with the code and message', () => {
    expect(explainS3Error(sdkError('Unknown', 403), 'read', place).field).toBe('accessKeyId');
    expect(explainS3Error(sdkError('Unknown', 404), 'read', place).field).toBe('bucket');
    expect(explainS3Error(sdkError('SlowDown', 503), 'write', place)).toEqual({ field: 'endpoint', detail: expect.stringContaining('SlowDown: SlowDown from the server (HTTP 503)') });
  });

  it('finds a network code wrapped by the SDK (AggregateError of each address)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const wrapped = Object.assign(new Error('request failed'), { cause: new AggregateError([refused], 'all addresses failed') });
    expect(explainS3Error(wrapped, 'write', place)).toEqual({ field: 'endpoint', detail: 'cannot reach https://s3.example (connection refused): check the endpoint\'s host, port and http/https' });
  });
});
