// OpenPanel push-to-deploy receiver. It runs on the server, in the container `openpanel-webhook` that OpenPanel
// creates when the user turns push-to-deploy on for an app (and removes when no app uses it any more). Node >= 18,
// no dependencies: it is passed to `node --input-type=module -e` as one argument, so nothing is downloaded.
//
// POST /hooks/<appId>: the delivery is checked against the app's secret (GitHub X-Hub-Signature-256 and Gitea /
// Forgejo X-Gitea-Signature: HMAC-SHA256 of the raw body; GitLab X-Gitlab-Token: the shared token; every comparison
// in constant time), filtered on event (push) and branch, and then starts the same deploy job the app starts: a
// builder container whose create options OpenPanel wrote to <data>/webhooks/apps/<appId>.json (0600, with the
// secret, deploy key and env values; never logged). Every delivery is appended to <data>/webhooks/deliveries.log
// (one JSON object a line, no secret, no signature): the app reads it to show deliveries and to import the deploys
// started here into its history. GET /healthz answers "ok".
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';

const env = process.env;
const DATA = env.OP_DATA || '/openpanel';
const PORT = Number(env.OP_PORT || 9000);
const LISTEN = env.OP_LISTEN || '0.0.0.0';
const DOCKER_SOCKET = env.OP_DOCKER_SOCKET || '/var/run/docker.sock';
const BODY_LIMIT = Number(env.OP_BODY_LIMIT || 2 * 1024 * 1024);
const RATE_PER_MIN = Number(env.OP_RATE_PER_MIN || 30);
const QUEUE_POLL_MS = Number(env.OP_QUEUE_POLL_MS || 3000);
const LOG_LIMIT = 2 * 1024 * 1024;
const HOOKS = `${DATA}/webhooks`;
const LOG = `${HOOKS}/deliveries.log`;
const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;

mkdirSync(HOOKS, { recursive: true, mode: 0o755 });

// ---- delivery log ------------------------------------------------------------------------------------------------

/** Appends one delivery; keeps the file under LOG_LIMIT by dropping its older half. */
function record(entry) {
  const line = `${JSON.stringify({ at: Date.now(), ...entry })}\n`;
  try {
    appendFileSync(LOG, line, { mode: 0o644 });
    if (statSync(LOG).size > LOG_LIMIT) {
      const text = readFileSync(LOG, 'utf8');
      const keep = text.slice(text.indexOf('\n', text.length / 2) + 1);
      writeFileSync(`${LOG}.tmp`, keep, { mode: 0o644 });
      renameSync(`${LOG}.tmp`, LOG);
    }
  } catch (e) {
    console.error(`cannot write ${LOG}: ${e.message}`);
  }
  console.log(`${new Date().toISOString()} ${entry.result} app=${entry.appId} provider=${entry.provider || '-'} status=${entry.status} ${entry.reason || ''}`);
}

// ---- checks ------------------------------------------------------------------------------------------------------

/** Constant-time equality that does not leak the length either (both sides hashed first). */
function safeEqual(a, b) {
  const ha = createHash('sha256').update(String(a)).digest();
  const hb = createHash('sha256').update(String(b)).digest();
  return timingSafeEqual(ha, hb);
}

function hmacHex(secret, body) {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Which forge sent the delivery and whether it is authentic. Headers are lower-cased (node does that).
 * Returns { provider, ok, reason, event, delivery }.
 */
function verify(headers, body, secret) {
  const h = (name) => (typeof headers[name] === 'string' ? headers[name] : '');
  const giteaSig = h('x-gitea-signature') || h('x-forgejo-signature');
  if (giteaSig) {
    const event = h('x-gitea-event') || h('x-forgejo-event') || h('x-github-event');
    const delivery = h('x-gitea-delivery') || h('x-forgejo-delivery') || h('x-github-delivery');
    const ok = safeEqual(giteaSig.trim().toLowerCase(), hmacHex(secret, body));
    return { provider: 'gitea', ok, reason: ok ? '' : 'X-Gitea-Signature does not match the HMAC-SHA256 of the body', event, delivery };
  }
  const hubSig = h('x-hub-signature-256');
  if (hubSig) {
    const event = h('x-github-event');
    const delivery = h('x-github-delivery');
    const given = hubSig.trim();
    const ok = given.startsWith('sha256=') && safeEqual(given.slice(7).toLowerCase(), hmacHex(secret, body));
    return { provider: 'github', ok, reason: ok ? '' : 'X-Hub-Signature-256 does not match the HMAC-SHA256 of the body', event, delivery };
  }
  const token = h('x-gitlab-token');
  if (token) {
    const ok = safeEqual(token, secret);
    return { provider: 'gitlab', ok, reason: ok ? '' : 'X-Gitlab-Token does not match the secret', event: h('x-gitlab-event'), delivery: h('x-gitlab-event-uuid') || h('x-gitlab-webhook-uuid') };
  }
  return { provider: '', ok: false, reason: 'no signature header (X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)', event: '', delivery: '' };
}

/** The push payload: JSON, or GitHub's form encoding (payload=<json>). */
function parsePayload(contentType, body) {
  const text = body.toString('utf8');
  if (/application\/x-www-form-urlencoded/i.test(contentType || '')) return JSON.parse(new URLSearchParams(text).get('payload') || '');
  return JSON.parse(text);
}

/** Per client: a token bucket of RATE_PER_MIN requests a minute (bursts up to that number). */
const buckets = new Map();
function allowed(client) {
  const now = Date.now();
  const b = buckets.get(client) || { tokens: RATE_PER_MIN, at: now, warned: 0 };
  b.tokens = Math.min(RATE_PER_MIN, b.tokens + ((now - b.at) / 60_000) * RATE_PER_MIN);
  b.at = now;
  buckets.set(client, b);
  if (buckets.size > 10_000) buckets.clear();
  if (b.tokens < 1) return { ok: false, bucket: b };
  b.tokens -= 1;
  return { ok: true, bucket: b };
}

// ---- Docker Engine API over the mounted socket -----------------------------------------------------------------

function docker(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = request(
      { socketPath: DOCKER_SOCKET, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}, timeout: 60_000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = null;
          }
          if (res.statusCode >= 400) reject(new Error(`Docker ${method} ${path.split('?')[0]}: ${res.statusCode} ${(json && json.message) || text}`.slice(0, 500)));
          else resolve(json);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Docker ${method} ${path}: no answer within 60 s`)));
    req.on('error', reject);
    req.end(data || undefined);
  });
}

async function jobRunning(appId) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`openpanel.job.app=${appId}`] }));
  const list = await docker('GET', `/containers/json?filters=${filters}`);
  return Array.isArray(list) && list.length > 0;
}

function loadSpec(appId) {
  try {
    return JSON.parse(readFileSync(`${HOOKS}/apps/${appId}.json`, 'utf8'));
  } catch {
    return null;
  }
}

/** The builder's create options for one deploy id: the placeholder replaced in the fields that name the deploy. */
function builderFor(spec, id) {
  const ph = spec.placeholder;
  const sub = (v) => String(v).split(ph).join(id);
  const b = JSON.parse(JSON.stringify(spec.builder));
  b.Env = b.Env.map((e) => (spec.substitute.includes(e.slice(0, e.indexOf('='))) ? sub(e) : e));
  for (const k of Object.keys(b.Labels || {})) b.Labels[k] = sub(b.Labels[k]);
  return { name: sub(spec.name), body: b };
}

/** Starts the deploy job exactly as the app does (same builder, same script, same variables). */
async function startJob(spec, trigger) {
  const id = `d${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const { name, body } = builderFor(spec, id);
  const dir = `${DATA}/jobs/${id}`;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(`${dir}/trigger.json`, `${JSON.stringify({ trigger: 'webhook', appId: spec.appId, ...trigger, at: Date.now() })}\n`, { mode: 0o644 });
  const created = await docker('POST', `/containers/create?name=${encodeURIComponent(name)}`, body);
  try {
    await docker('POST', `/containers/${created.Id}/start`);
  } catch (e) {
    await docker('DELETE', `/containers/${created.Id}?force=true`).catch(() => undefined);
    throw e;
  }
  const envOf = (k) => (body.Env.find((e) => e.startsWith(`${k}=`)) || '').slice(k.length + 1);
  return { deployId: id, image: envOf('OP_IMAGE'), container: envOf('OP_CONTAINER') };
}

// ---- deploys: one at a time per app, later pushes wait for the running job ----------------------------------------

const starting = new Set();
/** appId -> the newest waiting delivery (older waiting ones are superseded: the job deploys the branch head). */
const pending = new Map();
const seenDeliveries = [];

async function deployOrQueue(spec, info) {
  const appId = spec.appId;
  if (starting.has(appId) || (await jobRunning(appId))) {
    pending.set(appId, info);
    return { queued: true, deployId: null };
  }
  starting.add(appId);
  try {
    return { queued: false, ...(await startJob(spec, info)) };
  } finally {
    starting.delete(appId);
  }
}

setInterval(() => {
  for (const [appId, info] of pending) {
    if (starting.has(appId)) continue;
    void (async () => {
      starting.add(appId);
      try {
        if (await jobRunning(appId)) return;
        pending.delete(appId);
        const spec = loadSpec(appId);
        if (!spec) return;
        const job = await startJob(spec, info);
        record({ ...info, result: 'started', status: 202, reason: 'queued delivery, started after the previous job ended', ...job });
      } catch (e) {
        pending.delete(appId);
        record({ ...info, result: 'failed', status: 500, reason: `starting the queued deploy: ${e.message}`, deployId: null });
      } finally {
        starting.delete(appId);
      }
    })();
  }
}, QUEUE_POLL_MS);

// ---- HTTP ----------------------------------------------------------------------------------------------------------

function reply(res, status, body) {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.end(text);
}

/** The client as the proxy saw it (the proxy appends it to X-Forwarded-For), else the socket's peer. */
function clientOf(req) {
  const xff = typeof req.headers['x-forwarded-for'] === 'string' ? req.headers['x-forwarded-for'].split(',').map((s) => s.trim()).filter(Boolean) : [];
  return (xff[xff.length - 1] || req.socket.remoteAddress || '').slice(0, 64);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] || 0);
    if (declared > BODY_LIMIT) return reject(Object.assign(new Error(`body larger than ${BODY_LIMIT} bytes`), { status: 413 }));
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        req.removeAllListeners('data');
        reject(Object.assign(new Error(`body larger than ${BODY_LIMIT} bytes`), { status: 413 }));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = (req.url || '/').split('?')[0];
  if (url === '/healthz') return reply(res, 200, { ok: true });
  const m = /^\/hooks\/([^/]+)\/?$/.exec(url);
  if (!m || !APP_ID.test(m[1])) return reply(res, 404, { error: 'not found' });
  const appId = m[1];
  const remote = clientOf(req);
  const base = { appId, remote, provider: '', event: '', delivery: '', ref: '', commit: '', deployId: null };
  if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' });
  const rate = allowed(remote);
  if (!rate.ok) {
    // One log line per client and minute, not one per refused request.
    if (Date.now() - rate.bucket.warned > 60_000) {
      rate.bucket.warned = Date.now();
      record({ ...base, result: 'refused', status: 429, reason: `more than ${RATE_PER_MIN} requests a minute from this client` });
    }
    return reply(res, 429, { error: 'too many requests' });
  }
  let body;
  try {
    body = await readBody(req);
  } catch (e) {
    record({ ...base, result: 'refused', status: e.status || 400, reason: e.message });
    return reply(res, e.status || 400, { error: e.message });
  }
  const spec = loadSpec(appId);
  if (!spec || typeof spec.secret !== 'string' || !spec.secret) {
    record({ ...base, result: 'refused', status: 404, reason: 'push-to-deploy is not enabled for this app' });
    return reply(res, 404, { error: 'push-to-deploy is not enabled for this app' });
  }
  const v = verify(req.headers, body, spec.secret);
  const who = { ...base, provider: v.provider, event: String(v.event).slice(0, 64), delivery: String(v.delivery).slice(0, 100) };
  if (!v.ok) {
    record({ ...who, result: 'refused', status: 401, reason: v.reason });
    return reply(res, 401, { error: v.reason });
  }
  if (v.event === 'ping') {
    record({ ...who, result: 'ping', status: 200, reason: 'ping' });
    return reply(res, 200, { ok: true, pong: true });
  }
  if (v.event !== 'push' && v.event !== 'Push Hook') {
    record({ ...who, result: 'ignored', status: 202, reason: `event ${v.event || '(none)'} is not a push` });
    return reply(res, 202, { ignored: `event ${v.event || '(none)'} is not a push` });
  }
  let payload;
  try {
    payload = parsePayload(req.headers['content-type'], body);
  } catch {
    record({ ...who, result: 'refused', status: 400, reason: 'the payload is not JSON' });
    return reply(res, 400, { error: 'the payload is not JSON' });
  }
  const ref = typeof payload?.ref === 'string' ? payload.ref.slice(0, 256) : '';
  const after = typeof payload?.after === 'string' ? payload.after : typeof payload?.checkout_sha === 'string' ? payload.checkout_sha : '';
  const info = { ...who, ref, commit: /^[0-9a-f]{7,64}$/i.test(after) ? after : '' };
  const wanted = `refs/heads/${spec.branch}`;
  if (ref !== wanted) {
    record({ ...info, result: 'ignored', status: 202, reason: `push to ${ref || '(no ref)'}, the app deploys ${wanted}` });
    return reply(res, 202, { ignored: `push to ${ref || '(no ref)'}, the app deploys ${wanted}` });
  }
  if (payload.deleted === true || /^0+$/.test(after)) {
    record({ ...info, result: 'ignored', status: 202, reason: 'the branch was deleted' });
    return reply(res, 202, { ignored: 'the branch was deleted' });
  }
  if (info.delivery) {
    if (seenDeliveries.includes(info.delivery)) {
      record({ ...info, result: 'ignored', status: 202, reason: 'this delivery was already handled (redelivery)' });
      return reply(res, 202, { ignored: 'this delivery was already handled' });
    }
    seenDeliveries.push(info.delivery);
    if (seenDeliveries.length > 500) seenDeliveries.shift();
  }
  try {
    const r = await deployOrQueue(spec, info);
    if (r.queued) {
      record({ ...info, result: 'queued', status: 202, reason: 'a deploy of this app is running; this push deploys when it ends' });
      return reply(res, 202, { queued: true });
    }
    record({ ...info, result: 'started', status: 202, reason: '', deployId: r.deployId, image: r.image, container: r.container });
    return reply(res, 202, { deployId: r.deployId });
  } catch (e) {
    record({ ...info, result: 'failed', status: 500, reason: `starting the deploy: ${e.message}` });
    return reply(res, 500, { error: 'the deploy could not be started; see the deliveries in OpenPanel' });
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error(`request failed: ${e.message}`);
    reply(res, 500, { error: 'internal error' });
  });
});
server.headersTimeout = 10_000;
server.requestTimeout = 30_000;
server.keepAliveTimeout = 5_000;
server.maxHeadersCount = 100;
server.maxConnections = 64;
server.listen(PORT, LISTEN, () => console.log(`openpanel webhook receiver on :${server.address().port}, data ${DATA}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
