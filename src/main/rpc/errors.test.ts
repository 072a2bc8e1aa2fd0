import { ORPCError } from '@orpc/client';
import { describe, expect, it } from 'vitest';
import { AppError } from '../services/core/errors.ts';
import { formatPath, inputInvalid, toRpcError } from './errors.ts';

describe('API errors', () => {
  it('names nested fields', () => {
    expect(formatPath(['servers', 0, 'host'])).toBe('servers[0].host');
    expect(formatPath([{ key: 'port' }])).toBe('port');
    expect(formatPath([])).toBe('(input)');
  });
  it('turns schema issues into INPUT_INVALID with one entry per field', () => {
    const e = toRpcError(inputInvalid([{ message: 'expected number', path: ['port'] }, { message: 'required', path: ['host'] }]));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.status).toBe(400);
    expect(e.message).toBe('Invalid input — port: expected number; host: required');
    expect(e.data).toEqual({ issues: [{ path: 'port', message: 'expected number' }, { path: 'host', message: 'required' }] });
  });
  it('keeps AppError codes and hides nothing but stacks', () => {
    const e = toRpcError(new AppError('HOST_KEY_CHANGED', 'the host key changed', { old: 'a', new: 'b' }));
    expect(e).toBeInstanceOf(ORPCError);
    expect([e.code, e.message, e.data]).toEqual(['HOST_KEY_CHANGED', 'the host key changed', { old: 'a', new: 'b' }]);
    expect(toRpcError(new Error('boom')).code).toBe('INTERNAL');
  });
});
