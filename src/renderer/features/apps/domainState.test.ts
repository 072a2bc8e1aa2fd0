import { describe, expect, it } from 'vitest';
import type { CertificateReport } from '../../../shared/contract/proxy.ts';
import { domainCertState } from './domainState.ts';

const DAY = 86_400_000;
const now = Date.UTC(2026, 0, 10);
const cert = (domains: string[], state: 'valid' | 'expired' | 'expiring', issuedBy: 'acme' | 'internal' = 'acme') => ({
  domains, subject: domains[0]!, issuer: 'Pebble Intermediate CA', store: 'acme', issuedBy, serial: '01', fingerprint256: 'AA', notBefore: now - DAY, notAfter: now + 30 * DAY, daysLeft: 30, apps: [], state, problems: [],
});
const report: CertificateReport = {
  serverId: 's', driver: 'caddy', readAt: now, note: null,
  certificates: [cert(['ok.example.com'], 'valid'), cert(['*.wild.example.com'], 'valid', 'internal'), cert(['old.example.com'], 'expired')],
  missing: [
    { host: 'bad.example.com', appId: 'a', appName: 'web', issuer: 'acme', lastError: 'urn:ietf:params:acme:error:dns: NXDOMAIN', reason: 'the proxy could not get a certificate' },
    { host: 'new.example.com', appId: 'a', appName: 'web', issuer: 'acme', lastError: null, reason: 'not deployed yet' },
  ],
  errors: [],
};

describe('a domain row’s certificate state from the proxy report', () => {
  it('issued, failed with the ACME error, pending with the reason, not TLS', () => {
    expect(domainCertState(report, 'ok.example.com', true)).toMatchObject({ kind: 'issued', detail: expect.stringContaining('ACME: Pebble Intermediate CA; valid until 2026-02-09') });
    expect(domainCertState(report, 'a.wild.example.com', true)).toMatchObject({ kind: 'issued', detail: expect.stringMatching(/^internal CA/) });
    expect(domainCertState(report, 'Old.Example.com ', true).kind).toBe('expired');
    expect(domainCertState(report, 'bad.example.com', true)).toEqual({ kind: 'failed', label: 'failed', detail: 'urn:ietf:params:acme:error:dns: NXDOMAIN' });
    expect(domainCertState(report, 'new.example.com', true)).toEqual({ kind: 'pending', label: 'pending', detail: 'not deployed yet' });
    expect(domainCertState(report, 'ok.example.com', false).kind).toBe('plain');
  });
  it('unknown before the report arrives, and for a host the proxy has not heard of', () => {
    expect(domainCertState(undefined, 'ok.example.com', true).kind).toBe('unknown');
    expect(domainCertState(report, 'other.example.com', true)).toMatchObject({ kind: 'unknown', label: 'not saved yet' });
    expect(domainCertState(report, 'x.y.wild.example.com', true).kind).toBe('unknown');
  });
});
