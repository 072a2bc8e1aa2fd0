import { describe, expect, it } from 'vitest';
import { checkCompose, stackOverride } from './compose.ts';
import { parseYaml } from './yaml.ts';

const FILE = `version: "3.8"   # stacks
services:
  web:
    image: openpanel-test/web:v1
    environment:
      - GREETING=hello # not a comment inside? yes it is
      - 'QUOTED=a # b'
    ports:
      - target: 8080
        published: 18080
        mode: host
    deploy:
      replicas: 2
      update_config:
        order: stop-first
  worker:
    image: "openpanel-test/web:v1"
    command: ["sh", "-c", "while true; do sleep 1; done"]
    labels: {team: core, tier: "back end"}
    deploy: { mode: global }
x-note: |
  line one
  line two
`;

describe('the YAML of Compose files', () => {
  it('reads maps, lists, quoted and flow values and block scalars', () => {
    expect(parseYaml(FILE)).toEqual({
      version: '3.8',
      services: {
        web: {
          image: 'openpanel-test/web:v1',
          environment: ['GREETING=hello', 'QUOTED=a # b'],
          ports: [{ target: 8080, published: 18080, mode: 'host' }],
          deploy: { replicas: 2, update_config: { order: 'stop-first' } },
        },
        worker: {
          image: 'openpanel-test/web:v1',
          command: ['sh', '-c', 'while true; do sleep 1; done'],
          labels: { team: 'core', tier: 'back end' },
          deploy: { mode: 'global' },
        },
      },
      'x-note': 'line one\nline two\n',
    });
  });

  it('expands anchors, aliases and merge keys as Docker does', () => {
    expect(parseYaml('x-c: &c\n  image: web:1\nservices:\n  web:\n    <<: *c\n    ports: [80]\n  worker: *c\n')).toEqual({
      'x-c': { image: 'web:1' },
      services: { web: { image: 'web:1', ports: [80] }, worker: { image: 'web:1' } },
    });
  });

  it('refuses tabs, duplicate keys, several documents, open quotes and application tags, naming the line', () => {
    expect(() => parseYaml('a:\n\tb: 1\n')).toThrow('compose: line 2: Tabs');
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow('compose: line 2: Map keys must be unique');
    expect(() => parseYaml('a: 1\n---\nb: 2\n')).toThrow('compose: line 2: expected one document');
    expect(() => parseYaml('a: "open\n')).toThrow('Missing closing "quote');
    expect(() => parseYaml('a: 1\nb: !reset null\n')).toThrow('compose: line 2: Unresolved tag: !reset');
  });

  it('refuses aliases that expand into a huge file (nine levels of ten), and many aliases', () => {
    const lol = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lol.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    expect(() => parseYaml(lol.join('\n'))).toThrow('expected aliases that do not expand into a huge file');
    const many = ['a: &a 1', ...Array.from({ length: 101 }, (_, i) => `k${i}: *a`)].join('\n');
    expect(() => parseYaml(many)).toThrow('expected at most 100 aliases');
    // Positive control: the same shapes, small, are read.
    expect(parseYaml('a: &a 1\nb: *a\n')).toEqual({ a: 1, b: 1 });
  });
});

describe('a stack Compose file', () => {
  it('passes a valid file and names what OpenPanel leaves to the file', () => {
    const c = checkCompose('shop', FILE);
    expect(c.version).toBe('3.8');
    expect(c.services.map((s) => s.name)).toEqual(['web', 'worker']);
    expect([...(c.services[0]?.hasUpdateConfig ?? [])]).toEqual(['order']);
  });

  it('refuses build sections, bad replicas, ingress ports and unknown keys with the field', () => {
    const bad = (text: string) => () => checkCompose('shop', text);
    expect(bad('version: "3.8"\nservices:\n  web:\n    build: .\n    image: x\n')).toThrow('compose.services.web.build: a stack on a cluster only runs images: build the image with the builder');
    for (const r of ['-1', '101', '1.5', '"2"']) {
      expect(bad(`services:\n  web:\n    image: x\n    deploy:\n      replicas: ${r}\n`)).toThrow('compose.services.web.deploy.replicas: expected a whole number from 0 to 100');
    }
    expect(bad('services:\n  web:\n    image: x\n    ports: ["8080:80"]\n')).toThrow('compose.services.web.ports[0]: expected the long syntax with mode: host');
    expect(checkCompose('shop', 'services:\n  web:\n    image: x\n    ports: ["8080:80"]\n    deploy:\n      endpoint_mode: vip\n').services[0]?.endpointMode).toBe('vip');
    expect(bad('services:\n  web:\n    image: "$(touch /tmp/x)"\n')).toThrow('compose.services.web.image: expected an image');
    expect(bad('services:\n  web:\n    command: x\n')).toThrow('compose.services.web.image: expected an image');
    expect(bad('services: {}\n')).toThrow('compose.services: expected a map of at least one service');
    expect(bad('services:\n  web:\n    image: x\nextra: 1\n')).toThrow('compose.extra: expected one of');
    expect(bad(`services:\n  ${'w'.repeat(60)}:\n    image: x\n`)).toThrow('is over 63 characters');
  });

  it('adds labels, dnsrr and safe rolling updates only where the file sets none', () => {
    const o = JSON.parse(stackOverride('shop', 'd0123456789ab', checkCompose('shop', FILE))) as { version: string; services: Record<string, { labels: Record<string, string>; deploy: Record<string, unknown> }> };
    expect(o.version).toBe('3.8');
    expect(o.services.web?.labels).toEqual({ 'dev.openpanel.managed': 'true', 'openpanel.stack': 'shop', 'openpanel.deploy': 'd0123456789ab' });
    expect(o.services.web?.deploy).toMatchObject({ endpoint_mode: 'dnsrr', update_config: { failure_action: 'rollback', monitor: '5s' }, rollback_config: { order: 'start-first' } });
    expect(o.services.web?.deploy.update_config).not.toHaveProperty('order');
    expect(o.services.worker?.deploy.update_config).toMatchObject({ order: 'start-first' });
  });
});
