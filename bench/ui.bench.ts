/**
 * The UI, measured from the built app (`npm run build` first):
 * - initial JS (what index.html loads at start), gzipped, vs the whole renderer and the 200 KB target;
 * - in Chromium against the built web process and a test server: following a container that prints 5,000
 *   lines/s, ingesting 1,000,000 lines, then scrolling through the kept lines; frame times from
 *   requestAnimationFrame deltas and long tasks from PerformanceObserver, the web process's RSS from /proc.
 * Targets (issue 15): p95 frame ≤ 16.7 ms, no long task > 50 ms while scrolling, web RSS ≤ 250 MB in the 1M run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { measureBundle } from '../tests/helpers/bundle.ts';
import { launchBrowser } from '../tests/helpers/browser.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../tests/helpers/web-process.ts';
import { BUSYBOX_TAG, Testbed } from '../tests/testbed/index.ts';
import { fmt, median, table } from './lib.ts';

const ROOT = join(import.meta.dirname, '..');
const LINES = Number(process.env.BENCH_UI_LINES ?? 1_000_000);
const RATE = 5_000;
const FOLLOW_S = Number(process.env.BENCH_UI_FOLLOW_S ?? 15);
const SCROLL_FRAMES = 600;
const FRAME_MS = 16.7;

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))]! : Number.NaN;
}

interface Recording {
  frames: number[];
  longTasks: number[];
  /** The renderer main thread's tasks from a trace: wall time and the thread's own CPU time, ms. */
  tasks: { wall: number; cpu: number }[];
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** Main-thread tasks of the page's renderer (the CrRendererMain thread that ran the most), wall and CPU time. */
function mainThreadTasks(events: TraceEvent[]): { wall: number; cpu: number }[] {
  const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, { wall: number; cpu: number }[]>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph !== 'X' || e.name !== 'RunTask' || !main.has(key)) continue;
    const list = byThread.get(key) ?? [];
    list.push({ wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 });
    byThread.set(key, list);
  }
  const total = (xs: { wall: number }[]) => xs.reduce((n, x) => n + x.wall, 0);
  return [...byThread.values()].sort((a, b) => total(b) - total(a))[0] ?? [];
}

/** Starts recording frame deltas and long tasks in the page (kept on window until `stopRecording`), and a trace. */
async function startRecording(browser: Browser, page: Page): Promise<void> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await page.evaluate(() => {
    const rec = { frames: [] as number[], longTasks: [] as number[], on: true };
    (window as unknown as { __rec: typeof rec }).__rec = rec;
    new PerformanceObserver((list) => {
      if (rec.on) for (const e of list.getEntries()) rec.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t: number) => {
      if (!rec.on) return;
      rec.frames.push(t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(tick);
    });
  });
}

async function stopRecording(browser: Browser, page: Page): Promise<Recording> {
  const rec = await page.evaluate(() => {
    const r = (window as unknown as { __rec: { frames: number[]; longTasks: number[]; on: boolean } }).__rec;
    r.on = false;
    return { frames: r.frames, longTasks: r.longTasks };
  });
  const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
  return { ...rec, tasks: mainThreadTasks(trace.traceEvents) };
}

function frameRow(what: string, r: Recording, target: string): (string | number)[] {
  const over = r.frames.filter((f) => f > FRAME_MS + 1).length;
  const cpu = r.tasks.map((t) => t.cpu);
  return [
    what,
    r.frames.length,
    `${fmt(median(r.frames))} / ${fmt(pct(r.frames, 0.95))} / ${fmt(Math.max(...r.frames))}`,
    `${fmt((100 * over) / Math.max(1, r.frames.length), 1)} %`,
    `${r.longTasks.length} (max ${r.longTasks.length ? fmt(Math.max(...r.longTasks), 0) : 0} ms)`,
    `${fmt(pct(cpu, 0.95))} / ${fmt(Math.max(0, ...cpu))} ms, ${cpu.filter((c) => c > 50).length} > 50 ms`,
    `${fmt(cpu.reduce((n, c) => n + c, 0) / Math.max(1, r.frames.length))} ms`,
    target,
  ];
}

async function received(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-testid="log-count"]', 'data-received'));
}

async function openLogs(web: WebProcess, page: Page, serverId: string, container: string): Promise<void> {
  await page.goto(web.url);
  await page.waitForSelector('nav[aria-label="Main"]', { timeout: 60_000 });
  await page.evaluate((h) => (window.location.hash = h), `#/logs?server=${serverId}&containers=${container}&tail=all`);
  await page.waitForSelector('[data-testid="log-status"]:text("live")', { timeout: 60_000 });
}

async function main() {
  const rendererDir = join(ROOT, 'out/renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('no build in out/: run `npx electron-vite build` first');
  const bundle = measureBundle(rendererDir);
  console.log('Renderer JS, gzipped (level 9), from the built files:');
  console.log(
    table([
      ['', 'KB gz', 'files', 'vs target 200 KB'],
      ['initial (entry + modulepreloads)', fmt(bundle.initialGz / 1024, 1), bundle.initial.length, `${fmt((100 * bundle.initialGz) / (200 * 1024), 0)} %`],
      ['whole renderer (every chunk)', fmt(bundle.allGz / 1024, 1), bundle.all.length, ''],
      ['initial / whole', `${fmt((100 * bundle.initialGz) / bundle.allGz, 0)} %`, '', ''],
    ]),
  );
  for (const h of bundle.heavy) console.log(`  ${h.name}: ${h.initial ? 'IN THE INITIAL JS' : 'on demand'} (${h.files.join(', ')})`);

  const bed = await Testbed.create({ prefix: 'benchui' });
  const web = await startWebProcess();
  const browser = await launchBrowser();
  try {
    const s = await bed.addServer({ name: 'ui', images: ['busybox'] });
    const { client, close } = await web.client();
    const serverId = (await addServer(client, s, { name: 'ui' })).id;
    close();
    const idleRss = rssMb(web.child.pid!);

    // 1. Following a live stream at 5,000 lines/s: 500 lines each 0.1 s on the server's clock (/proc/uptime, in
    // centiseconds), after a start signal (a file).
    const chunks = FOLLOW_S * 10;
    const paced = [
      'now() { read u _ < /proc/uptime; echo $(( ${u%.*}${u#*.} )); }',
      'while [ ! -e /tmp/go ]; do sleep 0.1; done',
      's=$(now); i=0',
      `while [ $i -lt ${chunks} ]; do seq $((i*500+1)) $((i*500+500)); i=$((i+1)); while [ $(now) -lt $((s+i*10)) ]; do usleep 5000; done; done`,
      'sleep 3600',
    ].join('; ');
    await s.exec(['docker', 'run', '-d', '--name', 'paced', BUSYBOX_TAG, 'sh', '-c', paced], { check: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await openLogs(web, page, serverId, 'paced');
    await startRecording(browser, page);
    const t0 = Date.now();
    await s.exec(['docker', 'exec', 'paced', 'touch', '/tmp/go'], { check: true });
    const want = chunks * 500;
    for (let n = 0; (n = await received(page)) < want; ) {
      if (Date.now() - t0 > FOLLOW_S * 1000 * 4 + 30_000) throw new Error(`follow: only ${n} of ${want} lines arrived in time`);
      await page.waitForTimeout(200);
    }
    const followSeconds = (Date.now() - t0) / 1000;
    const follow = await stopRecording(browser, page);
    await page.close();

    // 2. A million lines as fast as the server sends them, then scrolling through what the view keeps.
    await s.exec(['docker', 'run', '-d', '--name', 'million', BUSYBOX_TAG, 'sh', '-c', `while [ ! -e /tmp/go ]; do sleep 0.1; done; seq 1 ${LINES}; sleep 3600`], { check: true });
    const big = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await openLogs(web, big, serverId, 'million');
    const cdp = await big.context().newCDPSession(big);
    await cdp.send('Performance.enable');
    const heapMb = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024;
    await startRecording(browser, big);
    let maxRss = rssMb(web.child.pid!);
    let maxHeap = await heapMb();
    const t1 = Date.now();
    await s.exec(['docker', 'exec', 'million', 'touch', '/tmp/go'], { check: true });
    for (let n = 0; (n = await received(big)) < LINES; ) {
      if (Date.now() - t1 > 300_000) throw new Error(`1M: only ${n} of ${LINES} lines arrived in 300 s`);
      maxRss = Math.max(maxRss, rssMb(web.child.pid!));
      maxHeap = Math.max(maxHeap, await heapMb());
      await big.waitForTimeout(100);
    }
    const ingestSeconds = (Date.now() - t1) / 1000;
    const ingest = await stopRecording(browser, big);
    maxRss = Math.max(maxRss, rssMb(web.child.pid!));
    await big.click('[data-testid="log-pause"]');
    await big.waitForSelector('[data-testid="log-status"]:text("paused")');
    const kept = Number(await big.getAttribute('[data-testid="log-count"]', 'data-received')) - Number(await big.getAttribute('[data-testid="log-count"]', 'data-dropped'));

    // Sweep the kept lines top to bottom in SCROLL_FRAMES frames (a fast scrollbar drag), then wheel-sized steps.
    await big.evaluate(() => document.querySelector('[data-testid="log-scroll"]')!.scrollTo(0, 0));
    await startRecording(browser, big);
    await big.evaluate(async (frames) => {
      const el = document.querySelector('[data-testid="log-scroll"]')!;
      const step = (el.scrollHeight - el.clientHeight) / frames;
      for (let i = 1; i <= frames; i++) {
        el.scrollTop = step * i;
        await new Promise((r) => requestAnimationFrame(r));
      }
    }, SCROLL_FRAMES);
    const sweep = await stopRecording(browser, big);
    await startRecording(browser, big);
    await big.hover('[data-testid="log-scroll"]');
    for (let i = 0; i < SCROLL_FRAMES / 2; i++) await big.mouse.wheel(0, -400);
    await big.waitForTimeout(200);
    const wheel = await stopRecording(browser, big);
    maxHeap = Math.max(maxHeap, await heapMb());
    maxRss = Math.max(maxRss, rssMb(web.child.pid!));

    console.log(`\nLog view in Chromium (headless, ${RATE.toLocaleString()} lines/s target rate; ${LINES.toLocaleString()} lines, ${kept.toLocaleString()} kept):`);
    // Frame and long-task wall times include time the machine gave to others; the tasks' CPU time does not.
    console.log(`load average (1/5/15 min) at the end, on ${availableParallelism()} cores: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ')}`);
    console.log(
      table([
        ['', 'frames', 'frame ms median / p95 / max', 'frames > 17.7 ms', 'long tasks (wall)', 'main-thread task CPU p95 / max', 'main-thread CPU per frame', 'target'],
        frameRow(`follow ${fmt((chunks * 500) / followSeconds, 0)} lines/s for ${fmt(followSeconds, 1)} s`, follow, `p95 ≤ ${FRAME_MS} ms`),
        frameRow(`ingest ${LINES.toLocaleString()} lines in ${fmt(ingestSeconds, 1)} s`, ingest, '(informational)'),
        frameRow(`scroll: sweep ${kept.toLocaleString()} lines in ${SCROLL_FRAMES} frames`, sweep, `p95 ≤ ${FRAME_MS} ms, no long task > 50 ms`),
        frameRow(`scroll: ${SCROLL_FRAMES / 2} wheel steps of 400 px`, wheel, `p95 ≤ ${FRAME_MS} ms, no long task > 50 ms`),
      ]),
    );
    console.log(
      table([
        ['\nMemory', 'MB', 'target'],
        ['web process RSS, idle (server added)', fmt(idleRss, 0), ''],
        ['web process RSS, max during the 1M run', fmt(maxRss, 0), `≤ 250 MB (${fmt((100 * maxRss) / 250, 0)} %)`],
        ['page JS heap, max', fmt(maxHeap, 0), ''],
      ]),
    );
    await big.close();
  } finally {
    await browser.close();
    await web.stop();
    await bed.teardown();
  }
}

await main();
