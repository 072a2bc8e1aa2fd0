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
//
// Replays: handled delivery ids are kept in <data>/webhooks/seen.json (the last OP_SEEN_MAX, replaced atomically),
// and since the delivery id is not signed (and GitLab's token is a fixed header), a push of the commit that is
// already deployed or being deployed starts nothing; deploy starts are rate-limited per app. Connections are capped
// per client (the proxy's address carries everyone, so it gets its own cap and its X-Forwarded-For is believed;
// nobody else's is), with header and request timeouts, so idle or slow clients cannot starve the others.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, request } from 'node:http';

const env = process.env;
const DATA = env.OP_DATA || '/openpanel';
const PORT = Number(env.OP_PORT || 9000);
const LISTEN = env.OP_LISTEN || '0.0.0.0';
const DOCKER_SOCKET = env.OP_DOCKER_SOCKET || '/var/run/docker.sock';
const BODY_LIMIT = Number(env.OP_BODY_LIMIT || 2 * 1024 * 1024);
const RATE_PER_MIN = Number(env.OP_RATE_PER_MIN || 30);
const QUEUE_POLL_MS = Number(env.OP_QUEUE_POLL_MS || 3000);
const HEADERS_TIMEOUT_MS = Number(env.OP_HEADERS_TIMEOUT_MS || 10_000);
const REQUEST_TIMEOUT_MS = Math.max(HEADERS_TIMEOUT_MS, Number(env.OP_REQUEST_TIMEOUT_MS || 30_000));
const CONN_PER_CLIENT = Number(env.OP_CONN_PER_CLIENT || 8);
const CONN_PER_PROXY = Number(env.OP_CONN_PER_PROXY || 256);
const CONN_TOTAL = Number(env.OP_CONN_TOTAL || 1024);
const INFLIGHT_PER_CLIENT = Number(env.OP_INFLIGHT_PER_CLIENT || 4);
const TRUSTED_PROXIES = (env.OP_TRUSTED_PROXIES || '').split(',').map((s) => s.trim()).filter(Boolean);
const DEPLOY_BURST = Number(env.OP_DEPLOY_BURST || 5);
const DEPLOY_REFILL_S = Number(env.OP_DEPLOY_REFILL_SECONDS || 60);
const SEEN_MAX = Number(env.OP_SEEN_MAX || 1000);
const LOG_LIMIT = 2 * 1024 * 1024;
const HOOKS = `${DATA}/webhooks`;
const LOG = `${HOOKS}/deliveries.log`;
const SEEN = `${HOOKS}/seen.json`;
const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const JOB_ID = /^d[a-z0-9]{4,40}$/;
const COMMIT = /^[0-9a-f]{7,64}$/i;

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

// ---- handled deliveries, kept across restarts --------------------------------------------------------------------

/** `<appId>:<delivery id>` -> when it was handled; oldest first (Map order), at most SEEN_MAX. */
const seen = loadSeen();

function loadSeen() {
  const m = new Map();
  try {
    const raw = JSON.parse(readFileSync(SEEN, 'utf8'));
    for (const e of Array.isArray(raw?.deliveries) ? raw.deliveries : []) if (typeof e?.key === 'string' && typeof e.at === 'number') m.set(e.key, e.at);
  } catch (e) {
    if (e.code !== 'ENOENT') console.error(`cannot read ${SEEN}, starting with no handled deliveries: ${e.message}`);
  }
  return m;
}

/** Replaces the file atomically (written, synced, renamed); false if it could not be written. */
function saveSeen() {
  while (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value);
  const text = `${JSON.stringify({ version: 1, deliveries: [...seen].map(([key, at]) => ({ key, at })) })}\n`;
  try {
    const fd = openSync(`${SEEN}.tmp`, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${SEEN}.tmp`, SEEN);
    return true;
  } catch (e) {
    console.error(`cannot write ${SEEN}: ${e.message}`);
    return false;
  }
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

/** Per app: a token bucket of deploy starts (DEPLOY_BURST at once, then one every DEPLOY_REFILL_S). 0 or seconds to wait. */
const deployBuckets = new Map();
function takeDeployStart(appId) {
  const now = Date.now();
  const b = deployBuckets.get(appId) || { tokens: DEPLOY_BURST, at: now };
  b.tokens = Math.min(DEPLOY_BURST, b.tokens + (now - b.at) / (DEPLOY_REFILL_S * 1000));
  b.at = now;
  deployBuckets.set(appId, b);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.max(1, Math.ceil((1 - b.tokens) * DEPLOY_REFILL_S));
}
const limitReason = (wait) => `more than ${DEPLOY_BURST} deploy starts of this app in a row (then one every ${DEPLOY_REFILL_S} s); retry in ${wait} s`;

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

const running = async (label) => {
  const list = await docker('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`);
  return Array.isArray(list) ? list : [];
};

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** The commit a running job deploys: from its state (once fetched), else from what started it ('' if unknown yet). */
function jobCommit(id) {
  if (!JOB_ID.test(id || '')) return '';
  for (const f of ['state.json', 'trigger.json']) {
    const c = readJson(`${DATA}/jobs/${id}/${f}`)?.commit;
    if (typeof c === 'string' && COMMIT.test(c)) return c;
  }
  return '';
}

/**
 * What Docker says about the app, whoever started its deploys (this receiver or the app): the running jobs with
 * the commit each deploys, and the commit of the newest running app container (its image's openpanel.commit label).
 */
async function appState(appId) {
  const jobs = (await running(`openpanel.job.app=${appId}`)).map((c) => ({ id: c.Labels?.['openpanel.job'] || '', commit: jobCommit(c.Labels?.['openpanel.job']) }));
  const apps = (await running(`openpanel.app=${appId}`)).sort((a, b) => (b.Created || 0) - (a.Created || 0));
  return { jobs, deployed: apps[0]?.Labels?.['openpanel.commit'] || '' };
}

/** Same commit (a forge may send it abbreviated, at least 7 hex digits); unknown commits are never the same. */
function sameCommit(a, b) {
  if (!COMMIT.test(a || '') || !COMMIT.test(b || '')) return false;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x.startsWith(y) || y.startsWith(x);
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

// ---- deploys: one at a time per app, never twice the same commit, later pushes wait for the running job ------------

/** appId -> the commit being started right now (between the look at Docker and the builder's start). */
const starting = new Map();
/** appId -> the newest waiting delivery (older waiting ones are superseded: the job deploys the branch head). */
const pending = new Map();

/**
 * What to do with a verified push: { kind: 'deploying', deployId } | 'deployed' | 'queued' | { kind: 'limited',
 * wait } | { kind: 'started', deployId, image, container }. A delivery without a commit is never taken as a duplicate.
 */
async function deployOrQueue(spec, info) {
  const appId = spec.appId;
  if (starting.has(appId)) {
    if (sameCommit(starting.get(appId), info.commit)) return { kind: 'deploying', deployId: 'starting' };
    pending.set(appId, info);
    return { kind: 'queued' };
  }
  starting.set(appId, info.commit);
  try {
    const st = await appState(appId);
    const same = st.jobs.find((j) => sameCommit(j.commit, info.commit));
    if (same) return { kind: 'deploying', deployId: same.id };
    if (st.jobs.length) {
      pending.set(appId, info);
      return { kind: 'queued' };
    }
    if (sameCommit(st.deployed, info.commit)) return { kind: 'deployed' };
    const wait = takeDeployStart(appId);
    if (wait) return { kind: 'limited', wait };
    return { kind: 'started', ...(await startJob(spec, info)) };
  } finally {
    starting.delete(appId);
  }
}

/** A waiting delivery, once no job of its app runs: dropped if its commit got deployed, else started (rate permitting). */
async function startPending(appId) {
  let info = pending.get(appId);
  if (!info) return;
  starting.set(appId, info.commit);
  try {
    const st = await appState(appId);
    info = pending.get(appId);
    if (!info || st.jobs.length) return;
    const spec = loadSpec(appId);
    if (!spec) return void pending.delete(appId);
    if (sameCommit(st.deployed, info.commit)) {
      pending.delete(appId);
      return record({ ...info, result: 'ignored', status: 200, reason: `queued delivery: commit ${info.commit} is already deployed` });
    }
    if (takeDeployStart(appId)) return; // stays queued until a start is allowed
    pending.delete(appId);
    const job = await startJob(spec, info);
    record({ ...info, result: 'started', status: 202, reason: 'queued delivery, started after the previous job ended', ...job });
  } catch (e) {
    pending.delete(appId);
    if (info) record({ ...info, result: 'failed', status: 500, reason: `starting the queued deploy: ${e.message}`, deployId: null });
  } finally {
    starting.delete(appId);
  }
}

setInterval(() => {
  for (const appId of pending.keys()) if (!starting.has(appId)) void startPending(appId);
}, QUEUE_POLL_MS);

// ---- clients: who is asking, how many connections and requests each may hold ---------------------------------------

const norm = (address) => String(address || '').replace(/^::ffff:/, '');

/**
 * Addresses of the proxy (OP_TRUSTED_PROXIES: names or addresses, looked up again every 10 s and when an unknown
 * peer reaches its cap, since the proxy's container may get a new address). Only these may name the client in
 * X-Forwarded-For: Caddy (>= 2.5) and Traefik replace what an untrusted client sent with the address they saw.
 */
let trusted = new Set();
let lookedUpAt = 0;
async function lookUpProxies() {
  lookedUpAt = Date.now();
  const next = new Set();
  for (const name of TRUSTED_PROXIES) {
    try {
      for (const a of await lookup(name, { all: true })) next.add(norm(a.address));
    } catch {
      // the proxy is not running (yet): nobody's X-Forwarded-For is believed meanwhile
    }
  }
  trusted = next;
}
if (TRUSTED_PROXIES.length) setInterval(() => void lookUpProxies(), 10_000).unref();

/** The client: the last X-Forwarded-For entry when the proxy sent the request, else the socket's peer. */
function clientOf(req) {
  const peer = norm(req.socket.remoteAddress);
  if (!trusted.has(peer)) return peer.slice(0, 64);
  const xff = typeof req.headers['x-forwarded-for'] === 'string' ? req.headers['x-forwarded-for'].split(',').map((s) => s.trim()).filter(Boolean) : [];
  return norm(xff[xff.length - 1] || peer).slice(0, 64);
}

const connections = new Map();
let connectionCount = 0;
const warnedAt = new Map();
/** Whether this is the first time in a minute: refusals are logged once a minute per client, not once each. */
function firstInAMinute(key) {
  if (Date.now() - (warnedAt.get(key) || 0) < 60_000) return false;
  if (warnedAt.size > 10_000) warnedAt.clear();
  warnedAt.set(key, Date.now());
  return true;
}

/** Per peer: CONN_PER_CLIENT open connections (the proxy, which carries every client, CONN_PER_PROXY); CONN_TOTAL in all. */
function admit(socket) {
  const peer = norm(socket.remoteAddress);
  const isProxy = trusted.has(peer);
  const n = connections.get(peer) || 0;
  if (n >= (isProxy ? CONN_PER_PROXY : CONN_PER_CLIENT) || connectionCount >= CONN_TOTAL) {
    if (!isProxy && TRUSTED_PROXIES.length && Date.now() - lookedUpAt > 2000) void lookUpProxies();
    if (firstInAMinute(`conn ${peer}`)) console.log(`${new Date().toISOString()} refused a connection from ${peer} (${n} open)`);
    socket.destroy();
    return;
  }
  connections.set(peer, n + 1);
  connectionCount++;
  socket.once('close', () => {
    connectionCount--;
    const left = (connections.get(peer) || 1) - 1;
    if (left) connections.set(peer, left);
    else connections.delete(peer);
  });
}

/** Requests being handled per client (what the per-connection cap cannot see behind the proxy). */
const inFlight = new Map();
function enter(client, res) {
  const n = inFlight.get(client) || 0;
  if (n >= INFLIGHT_PER_CLIENT) return false;
  inFlight.set(client, n + 1);
  res.once('close', () => {
    const left = (inFlight.get(client) || 1) - 1;
    if (left) inFlight.set(client, left);
    else inFlight.delete(client);
  });
  return true;
}

// ---- HTTP ----------------------------------------------------------------------------------------------------------

function reply(res, status, body, headers = {}) {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'close', ...headers });
  res.end(text);
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
    req.on('close', () => reject(Object.assign(new Error('the client went away before the end of the body'), { status: 400 })));
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
  if (!enter(remote, res)) {
    if (firstInAMinute(`req ${remote}`)) record({ ...base, result: 'refused', status: 429, reason: `more than ${INFLIGHT_PER_CLIENT} requests in flight from this client` });
    return reply(res, 429, { error: 'too many requests in flight' }, { 'Retry-After': String(Math.ceil(REQUEST_TIMEOUT_MS / 1000)) });
  }
  const rate = allowed(remote);
  if (!rate.ok) {
    // One log line per client and minute, not one per refused request.
    if (Date.now() - rate.bucket.warned > 60_000) {
      rate.bucket.warned = Date.now();
      record({ ...base, result: 'refused', status: 429, reason: `more than ${RATE_PER_MIN} requests a minute from this client` });
    }
    return reply(res, 429, { error: 'too many requests' }, { 'Retry-After': String(Math.max(1, Math.ceil(((1 - rate.bucket.tokens) * 60) / RATE_PER_MIN))) });
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
  const info = { ...who, ref, commit: COMMIT.test(after) ? after : '' };
  const wanted = `refs/heads/${spec.branch}`;
  if (ref !== wanted) {
    record({ ...info, result: 'ignored', status: 202, reason: `push to ${ref || '(no ref)'}, the app deploys ${wanted}` });
    return reply(res, 202, { ignored: `push to ${ref || '(no ref)'}, the app deploys ${wanted}` });
  }
  if (payload.deleted === true || /^0+$/.test(after)) {
    record({ ...info, result: 'ignored', status: 202, reason: 'the branch was deleted' });
    return reply(res, 202, { ignored: 'the branch was deleted' });
  }
  // Remembered (on disk) before anything is started, forgotten again if nothing was: the forge may send it again.
  const key = info.delivery ? `${appId}:${info.delivery}` : '';
  if (key && seen.has(key)) {
    record({ ...info, result: 'ignored', status: 202, reason: 'this delivery was already handled (redelivery)' });
    return reply(res, 202, { ignored: 'this delivery was already handled' });
  }
  const forget = () => {
    if (key && seen.delete(key)) saveSeen();
  };
  if (key) {
    seen.set(key, Date.now());
    if (!saveSeen()) {
      seen.delete(key);
      record({ ...info, result: 'failed', status: 503, reason: `cannot record the delivery in ${SEEN} (is the disk full?); nothing started` });
      return reply(res, 503, { error: 'the delivery could not be recorded; nothing started' }, { 'Retry-After': '60' });
    }
  }
  let r;
  try {
    r = await deployOrQueue(spec, info);
  } catch (e) {
    forget();
    record({ ...info, result: 'failed', status: 500, reason: `starting the deploy: ${e.message}` });
    return reply(res, 500, { error: 'the deploy could not be started; see the deliveries in OpenPanel' });
  }
  if (r.kind === 'deployed') {
    const reason = `commit ${info.commit} is already deployed`;
    record({ ...info, result: 'ignored', status: 200, reason });
    return reply(res, 200, { ignored: reason });
  }
  if (r.kind === 'deploying') {
    const reason = `commit ${info.commit} is already being deployed (${r.deployId})`;
    record({ ...info, result: 'ignored', status: 202, reason });
    return reply(res, 202, { ignored: reason });
  }
  if (r.kind === 'limited') {
    forget();
    record({ ...info, result: 'refused', status: 429, reason: limitReason(r.wait) });
    return reply(res, 429, { error: limitReason(r.wait) }, { 'Retry-After': String(r.wait) });
  }
  if (r.kind === 'queued') {
    record({ ...info, result: 'queued', status: 202, reason: 'a deploy of this app is running; this push deploys when it ends' });
    return reply(res, 202, { queued: true });
  }
  record({ ...info, result: 'started', status: 202, reason: '', deployId: r.deployId, image: r.image, container: r.container });
  return reply(res, 202, { deployId: r.deployId });
}

const server = createServer(
  {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // How often those two are enforced (Node's default, 30 s, would let idle sockets stay up to 40 s).
    connectionsCheckingInterval: Math.min(1000, HEADERS_TIMEOUT_MS),
    keepAliveTimeout: 5_000,
    maxHeaderSize: 16 * 1024,
  },
  (req, res) => {
    handle(req, res).catch((e) => {
      console.error(`request failed: ${e.message}`);
      reply(res, 500, { error: 'internal error' });
    });
  },
);
server.maxHeadersCount = 100;
server.maxConnections = CONN_TOTAL + 1;
server.on('connection', admit);
await lookUpProxies();
server.listen(PORT, LISTEN, () => console.log(`openpanel webhook receiver on :${server.address().port}, data ${DATA}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
