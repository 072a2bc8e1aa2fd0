import { describe, expect, it } from 'vitest';
import { describeError, explainRawCodes, imageMappingFix, RAW_CODES } from './errors.ts';

describe('describeError', () => {
  it('explains a raw system code inside a message in words', () => {
    const e = { code: 'CONNECTION_FAILED', message: 'tcp: connect EHOSTUNREACH 10.0.0.9:22' };
    const d = describeError(e);
    expect(d.code).toBe('CONNECTION_FAILED');
    expect(d.raw).toBe('EHOSTUNREACH');
    expect(d.message).toBe('tcp: connect EHOSTUNREACH 10.0.0.9:22 (EHOSTUNREACH: no route to the host: it is down, or a network or firewall between here and it drops the traffic)');
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EACCES'])('explains %s', (raw) => {
    const d = describeError(new Error(`getaddrinfo ${raw} example.invalid`));
    expect(d.raw).toBe(raw);
    expect(d.message).toContain(RAW_CODES[raw]);
  });

  it('explains a raw code that arrives as the error code itself', () => {
    const d = describeError({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(d.message).toMatch(/^socket hang up \(ECONNRESET: the connection was cut/);
  });

  it('leaves messages without a known raw code as they are, and unknown shapes readable', () => {
    expect(describeError({ code: 'INPUT_INVALID', message: 'name: expected a name' })).toEqual({ code: 'INPUT_INVALID', message: 'name: expected a name', raw: null, data: undefined });
    expect(describeError({ code: 'X', message: 'EWHATEVER happened' }).message).toBe('EWHATEVER happened');
    expect(describeError('boom')).toMatchObject({ code: 'INTERNAL', message: 'boom' });
  });

  it('does not explain twice when the message was described already', () => {
    const once = describeError({ code: 'C', message: 'connect ETIMEDOUT' }).message;
    expect(describeError({ code: 'C', message: once }).message).toBe(once);
  });
});

describe('imageMappingFix', () => {
  it('recognises a failed pull by its data, not its text', () => {
    expect(imageMappingFix({ code: 'REMOTE_COMMAND_FAILED', message: 'x', data: { fix: 'image-mapping', image: 'postgres:16' } })).toEqual({ image: 'postgres:16' });
    expect(imageMappingFix({ code: 'REMOTE_COMMAND_FAILED', message: "map it in the server's image mapping" })).toBeNull();
  });
});

describe('explainRawCodes', () => {
  it('explains the first known code in a plain text and leaves others alone', () => {
    expect(explainRawCodes('Cannot reach 10.0.0.9:22: ENETUNREACH.')).toBe(`Cannot reach 10.0.0.9:22: ENETUNREACH. (ENETUNREACH: ${RAW_CODES.ENETUNREACH})`);
    expect(explainRawCodes('EOF ENOTAREALCODE then ENOTFOUND')).toBe(`EOF ENOTAREALCODE then ENOTFOUND (ENOTFOUND: ${RAW_CODES.ENOTFOUND})`);
    expect(explainRawCodes('all good')).toBe('all good');
  });
});
