import { describe, expect, it } from 'vitest';
import { LABELS } from '../docker/labels.ts';
import { edgeCaddyfile, edgeSpec, readDomains } from './edge.ts';

describe('edge proxy config', () => {
  it('routes each domain to the tasks of its app through dynamic A upstreams, by kind of TLS', () => {
    const file = edgeCaddyfile([
      { name: 'web', port: 8080, domains: [{ host: 'web.test', tls: false, issuer: 'acme' }, { host: 'a.example.com', tls: true, issuer: 'acme' }] },
      { name: 'api', port: 3000, domains: [{ host: 'api.internal', tls: true, issuer: 'internal' }] },
    ]);
    expect(file).toContain('http://web.test {\n\treverse_proxy {\n\t\tdynamic a tasks.op-web 8080 {');
    expect(file).toContain('a.example.com {\n\treverse_proxy {\n\t\tdynamic a tasks.op-web 8080 {');
    expect(file).toContain('api.internal {\n\ttls internal\n\treverse_proxy {\n\t\tdynamic a tasks.op-api 3000 {');
    expect(file.indexOf('# app api')).toBeLessThan(file.indexOf('# app web'));
  });

  it('publishes 80 and 443 in host mode on the labelled nodes only, one task per node', () => {
    const spec = edgeSpec('caddy:2', []) as { Mode: unknown; EndpointSpec: { Ports: { PublishMode: string }[] }; TaskTemplate: { Placement: { Constraints: string[] } } };
    expect(spec.Mode).toEqual({ Global: {} });
    expect(spec.EndpointSpec.Ports.map((p) => p.PublishMode)).toEqual(['host', 'host']);
    expect(spec.TaskTemplate.Placement.Constraints).toEqual(['node.labels.openpanel.edge==true']);
  });

  it('reads domains from a service label again through the contract: a tampered label routes nothing', () => {
    const good = [{ host: 'web.test', tls: false, issuer: 'acme' }];
    expect(readDomains({ [LABELS.domains]: JSON.stringify(good) })).toEqual(good);
    expect(readDomains({ [LABELS.domains]: JSON.stringify([{ host: 'x.test {\n}\nimport /etc/passwd', tls: false }]) })).toEqual([]);
    expect(readDomains({ [LABELS.domains]: 'not json' })).toEqual([]);
  });
});
