import { describe, expect, it } from 'vitest';
import { MASK, Redactor, redactEnvFile, isEnvFileName } from './redact.ts';

describe('Redactor', () => {
  const r = new Redactor(['known-secret-value', 'abc']);
  const cases: [string, string, string][] = [
    ['private key block', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAA'],
    ['url password', 'postgres://app:s3cr3t-pw@db:5432/x', 's3cr3t-pw'],
    ['aws key id', 'key AKIAIOSFODNN7EXAMPLE here', 'AKIAIOSFODNN7EXAMPLE'],
    ['aws secret', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['bare aws secret', 'x wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY y', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['github token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['groq key', 'gsk_abcdefghijklmnopqrstuvwx', 'gsk_abcdefghijklmnopqrstuvwx'],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijk_lmnop', 'eyJzdWIiOiIxMjM0In0'],
    ['bearer', 'Authorization: Bearer abcdef0123456789xyz', 'abcdef0123456789xyz'],
    ['env assignment', 'export DB_PASSWORD=hunter2hunter2', 'hunter2hunter2'],
    ['yaml', 'POSTGRES_PASSWORD: yaml-secret', 'yaml-secret'],
    ['json', '{"apiKey": "json-secret-1"}', 'json-secret-1'],
    ['flag', 'mysql --password=flag-secret-9', 'flag-secret-9'],
    ['known value', 'the value known-secret-value leaked', 'known-secret-value'],
  ];
  it.each(cases)('%s', (_name, input, secret) => {
    const out = r.redact(input);
    expect(out.text).not.toContain(secret);
    expect(out.text).toContain(MASK);
    expect(out.count).toBeGreaterThan(0);
  });

  it('keeps ordinary text, Dockerfile instructions and short known values alone', () => {
    const text = 'FROM node:22\nENV PORT=3000 NODE_ENV=production\nEXPOSE 3000\nabc is a word';
    expect(r.redact(text)).toEqual({ text, count: 0 });
  });

  it('keeps the URL shape while masking its password', () => {
    expect(r.redact('redis://default:pw-123456@cache:6379').text).toBe(`redis://default:${MASK}@cache:6379`);
  });

  it('masks a known multi-line secret also in its JSON-escaped form', () => {
    const key = '-----BEGIN X-----\nline1\nline2\n-----END X-----';
    const out = new Redactor([key]).redact(`json: "${key.replaceAll('\n', '\\n')}"`);
    expect(out.text).not.toContain('line1');
  });
});

describe('env files', () => {
  it('keeps names, masks every value', () => {
    expect(redactEnvFile('A=1\nexport B="two"\n# comment\nEMPTY=\n').text).toBe(`A=${MASK}\nexport B=${MASK}\n# comment\nEMPTY=\n`);
  });
  it('recognises env files but not examples', () => {
    expect(['.env', '.env.production', 'prod.env'].every(isEnvFileName)).toBe(true);
    expect(['.env.example', 'env.ts', '.envrc.sample'].some(isEnvFileName)).toBe(false);
  });
});
