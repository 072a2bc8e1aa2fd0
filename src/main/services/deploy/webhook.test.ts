import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShipSettings } from '../../../shared/contract/proxy.ts';
import { parseDeliveries, receiverContainer, webhookUrl } from './webhook-spec.ts';
import { tarball } from '../docker/tar.ts';
import { HARNESS_SECRET, startReceiver, type Receiver } from './webhook-receiver.harness.ts';

const SECRET = HARNESS_SECRET;

const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');
const push = (ref: string) => JSON.stringify({ ref, after: 'a'.repeat(40), repository: { full_name: 'me/sample' } });

describe('webhook receiver (the program that runs on the server)', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver({ env: { OP_BODY_LIMIT: '4096' } });
  });
  afterAll(async () => r?.stop());

  it('refuses a GitHub delivery with a wrong or missing signature, and logs why without the secret', async () => {
    const body = push('refs/heads/main');
    const bad = await r.post('/hooks/app1', body, { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'g-1', 'X-Hub-Signature-256': `sha256=${sign(body, 'wrong')}` });
    expect(bad.status).toBe(401);
    const none = await r.post('/hooks/app1', body, { 'X-GitHub-Event': 'push' });
    expect(none.status).toBe(401);
    const unprefixed = await r.post('/hooks/app1', body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': sign(body) });
    expect(unprefixed.status).toBe(401);
    const log = r.log();
    expect(log.slice(-3).map((e) => [e.result, e.status, e.provider])).toEqual([
      ['refused', 401, 'github'],
      ['refused', 401, ''],
      ['refused', 401, 'github'],
    ]);
    expect(log.at(-3)).toMatchObject({ appId: 'app1', delivery: 'g-1', reason: expect.stringContaining('X-Hub-Signature-256 does not match') });
    expect(log.at(-2)!.reason).toMatch(/no signature header/);
    expect(readFileSync(join(r.dir, 'webhooks/deliveries.log'), 'utf8')).not.toContain(SECRET);
  });

  it('answers a signed ping, ignores other events and other branches', async () => {
    const ping = JSON.stringify({ zen: 'hi', hook_id: 1 });
    expect((await r.post('/hooks/app1', ping, { 'X-GitHub-Event': 'ping', 'X-Hub-Signature-256': `sha256=${sign(ping)}` })).status).toBe(200);
    const issue = JSON.stringify({ action: 'opened' });
    expect((await r.post('/hooks/app1', issue, { 'X-GitHub-Event': 'issues', 'X-Hub-Signature-256': `sha256=${sign(issue)}` })).status).toBe(202);
    const dev = push('refs/heads/dev');
    const res = await r.post('/hooks/app1', dev, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${sign(dev)}` });
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body).ignored).toMatch(/push to refs\/heads\/dev, the app deploys refs\/heads\/main/);
    const tags = push('refs/tags/v1');
    expect((await r.post('/hooks/app1', tags, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${sign(tags)}` })).status).toBe(202);
    expect(r.log().slice(-4).map((e) => e.result)).toEqual(['ping', 'ignored', 'ignored', 'ignored']);
    expect(r.log().at(-3)!.reason).toBe('event issues is not a push');
  });

  it('checks Gitea signatures (HMAC-SHA256 hex) and GitLab tokens', async () => {
    const dev = push('refs/heads/dev');
    expect((await r.post('/hooks/app1', dev, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': sign(dev, 'nope') })).status).toBe(401);
    expect((await r.post('/hooks/app1', dev, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': sign(dev) })).status).toBe(202);
    expect((await r.post('/hooks/app1', dev, { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': `${SECRET}x` })).status).toBe(401);
    expect((await r.post('/hooks/app1', dev, { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': SECRET })).status).toBe(202);
    expect(r.log().slice(-4).map((e) => [e.provider, e.result])).toEqual([
      ['gitea', 'refused'],
      ['gitea', 'ignored'],
      ['gitlab', 'refused'],
      ['gitlab', 'ignored'],
    ]);
  });

  it("reads GitHub's form-encoded payloads, refuses bodies over the limit and unknown apps", async () => {
    const form = `payload=${encodeURIComponent(push('refs/heads/dev'))}`;
    const res = await r.post('/hooks/app1', form, { 'Content-Type': 'application/x-www-form-urlencoded', 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${sign(form)}` });
    expect(JSON.parse(res.body).ignored).toMatch(/refs\/heads\/dev/);
    const big = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(5000) });
    expect((await r.post('/hooks/app1', big, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${sign(big)}` })).status).toBe(413);
    const body = push('refs/heads/main');
    expect((await r.post('/hooks/other', body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${sign(body)}` })).status).toBe(404);
    expect((await r.post('/hooks/..%2Fapps', body, {})).status).toBe(404);
    expect(r.log().slice(-2).map((e) => [e.result, e.status])).toEqual([
      ['refused', 413],
      ['refused', 404],
    ]);
  });

  it('a correctly signed push of the branch goes on to start the job (and reports why it could not here)', async () => {
    const body = push('refs/heads/main');
    const res = await r.post('/hooks/app1', body, { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'g-start', 'X-Hub-Signature-256': `sha256=${sign(body)}` });
    expect(res.status).toBe(500);
    expect(r.log().at(-1)).toMatchObject({ result: 'failed', delivery: 'g-start', ref: 'refs/heads/main', commit: 'a'.repeat(40), reason: expect.stringMatching(/starting the deploy: .*no-docker\.sock|ENOENT/) });
  });
});

describe('webhook receiver rate limit', () => {
  it('refuses a client sending more than the limit, and logs it once', async () => {
    const r = await startReceiver({ env: { OP_RATE_PER_MIN: '5' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await r.post('/hooks/app1', '{}', {})).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      expect(r.log().filter((e) => e.status === 429)).toHaveLength(1);
    } finally {
      await r.stop();
    }
  });
});

describe('webhook pieces on the app side', () => {
  it('writes a tar archive that tar reads back, with modes and contents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openpanel-tar-'));
    try {
      const tar = tarball([{ name: 'webhooks', mode: 0o755 }, { name: 'webhooks/apps', mode: 0o700 }, { name: 'webhooks/apps/a.json', mode: 0o600, data: Buffer.from('{"x":1}') }]);
      writeFileSync(join(dir, 't.tar'), tar);
      const listing = execFileSync('tar', ['-tvf', join(dir, 't.tar')], { encoding: 'utf8' });
      expect(listing).toMatch(/^drwxr-xr-x .*webhooks\/$/m);
      expect(listing).toMatch(/^drwx------ .*webhooks\/apps\/$/m);
      expect(listing).toMatch(/^-rw------- .* 7 .*webhooks\/apps\/a\.json$/m);
      execFileSync('tar', ['-xf', join(dir, 't.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'webhooks/apps/a.json'), 'utf8')).toBe('{"x":1}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the deliveries log, skipping torn or foreign lines', () => {
    const good = { at: 1, appId: 'a', provider: 'github', event: 'push', delivery: 'x', result: 'started', status: 202, reason: '', ref: 'refs/heads/main', commit: 'abc1234', deployId: 'dabc123', remote: '10.0.0.1', image: 'openpanel/web:dabc123', container: 'op-web-dabc123' };
    const list = parseDeliveries(`${JSON.stringify(good)}\n{"at":2,"result":"exploded"}\nnot json\n{"at":3,"appId":"a","result":"refused","status":401}\n`);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ deployId: 'dabc123', image: 'openpanel/web:dabc123', container: 'op-web-dabc123' });
    expect(list[1]).toMatchObject({ result: 'refused', reason: '', deployId: null });
  });

  it('routes the receiver by its host name and recreates it when that changes', () => {
    const s = ShipSettings.parse({ driver: 'traefik', dataDir: '/srv/op' });
    const a = receiverContainer(s, 'node:22-alpine', '/var/run/docker.sock', [{ host: 'hooks.example.com', tls: true }]);
    expect(a.Labels!['traefik.http.routers.op-_webhook.rule']).toBe('Host(`hooks.example.com`)');
    expect(a.Labels!['traefik.http.services.op-_webhook.loadbalancer.server.port']).toBe('9000');
    expect(a.HostConfig!.Binds).toEqual(['/var/run/docker.sock:/var/run/docker.sock', '/srv/op:/openpanel']);
    expect(a.Env).toContain('OP_TRUSTED_PROXIES=openpanel-proxy');
    const b = receiverContainer(s, 'node:22-alpine', '/var/run/docker.sock', [{ host: 'hooks2.example.com', tls: true }]);
    expect(a.Labels!['openpanel.webhook.hash']).not.toBe(b.Labels!['openpanel.webhook.hash']);
    expect(webhookUrl({ host: 'hooks.example.com', tls: true }, s, 'app1')).toBe('https://hooks.example.com/hooks/app1');
    expect(webhookUrl({ host: 'hooks.test', tls: false }, ShipSettings.parse({ httpPort: 8080 }), 'app1')).toBe('http://hooks.test:8080/hooks/app1');
  });
});
