// The product side of the fleet bench: the built web process with the whole fleet added through its API.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { launchBrowser } from '../tests/helpers/browser.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import type { TestServer } from '../tests/testbed/index.ts';
import { fmt, median, table, type Proxy } from './lib.ts';

/** The machine is shared: each figure is printed with the load it was taken under. */
export const load = () => `load average ${loadavg().map((x) => fmt(x, 1)).join(' ')} on ${cpus().length} cores`;

/** CPU seconds (user + system) the process has used so far. */
export const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const status = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

interface LongTask {
  start: number;
  duration: number;
}

declare global {
  interface Window {
    __longTasks: LongTask[];
  }
}

interface Trace {
  traceEvents: { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }[];
}

/**
 * The renderer main thread's tasks from a Chromium trace: wall time (dur) and the thread's own CPU time (tdur).
 * On a loaded machine a task's wall time includes waiting for a core; its CPU time does not.
 */
function mainThreadTasks(trace: Trace): { count: number; maxWallMs: number; maxCpuMs: number; cpuMs: number } {
  const threads = new Set(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = trace.traceEvents.filter((e) => e.ph === 'X' && e.name === 'RunTask' && threads.has(`${e.pid}:${e.tid}`));
  return {
    count: tasks.length,
    maxWallMs: Math.max(0, ...tasks.map((t) => (t.dur ?? 0) / 1000)),
    maxCpuMs: Math.max(0, ...tasks.map((t) => (t.tdur ?? 0) / 1000)),
    cpuMs: tasks.reduce((n, t) => n + (t.tdur ?? 0) / 1000, 0),
  };
}

export async function dashboardRun(targets: { server: TestServer; proxy: Proxy }[], opts: { rtt: number; watchSec: number }): Promise<void> {
  const web = await startWebProcess();
  const pid = web.child.pid!;
  const { client, close } = await web.client();
  try {
    await client.settings.update({ sampleIntervalSec: 2 });
    const t0 = performance.now();
    const statuses = new Map<string, string>();
    const ac = new AbortController();
    const watching = (async () => {
      for await (const st of await client.servers.watchStatus(undefined, { signal: ac.signal })) statuses.set(st.serverId, st.state);
    })().catch(() => undefined);
    await Promise.all(
      targets.map(async ({ server, proxy }, i) => {
        const created = await client.servers.create({ name: `fleet-${i}`, host: proxy.host, port: proxy.port, username: 'root', auth: { method: 'key', privateKey: server.users.root.privateKey }, jumpServerId: null });
        await client.servers.trustHostKey({ id: created.id, keyType: 'ssh-ed25519', fingerprint: server.hostKeyFingerprint, replace: false });
      }),
    );
    const deadline = Date.now() + 120_000;
    while ([...statuses.values()].filter((s) => s === 'ready').length < targets.length) {
      if (Date.now() > deadline) throw new Error(`only ${[...statuses.values()].filter((s) => s === 'ready').length} of ${targets.length} servers connected within 120 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const allReady = performance.now() - t0;
    ac.abort();
    await watching;

    const engineCpu = () => targets.reduce((n, t) => n + cpuSeconds(t.server.dockerdPid), 0);
    /** containers.list across the fleet, 10 times: median wall, and the CPU of the app and of the servers' dockerd per list. */
    const measureLists = async () => {
      await client.containers.list({});
      const lists: number[] = [];
      let listed = 0;
      const appCpu = cpuSeconds(pid);
      const engines = engineCpu();
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        const r = await client.containers.list({});
        lists.push(performance.now() - t);
        listed = r.containers.length;
        if (r.errors.length) throw new Error(`containers.list: ${r.errors.map((e) => e.message).join('; ')}`);
      }
      return { ms: median(lists), listed, appMs: ((cpuSeconds(pid) - appCpu) * 1000) / 10, enginesMs: ((engineCpu() - engines) * 1000) / 10, load: load() };
    };
    const sampled = await measureLists();

    const browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(web.url);
    await page.waitForSelector('[data-testid="fleet"]');
    await page.waitForFunction((n) => document.querySelectorAll('a.fleet-card [data-testid="container-counts"] .badge.ok').length >= n, targets.length, { timeout: 120_000 });
    const loaded = await page.evaluate(() => performance.now());
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    const rss: number[] = [];
    const cpuStart = cpuSeconds(pid);
    const enginesStart = engineCpu();
    for (let i = 0; i < opts.watchSec; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      rss.push(status(pid, 'VmRSS'));
    }
    const cpuPercent = ((cpuSeconds(pid) - cpuStart) / opts.watchSec) * 100;
    const enginesPerSec = ((engineCpu() - enginesStart) * 1000) / opts.watchSec;
    const tasks = await page.evaluate(() => window.__longTasks);
    const main = mainThreadTasks(JSON.parse((await browser.stopTracing()).toString('utf8')) as Trace);
    const during = tasks.filter((t) => t.start >= loaded);
    const beforeLoad = tasks.filter((t) => t.start < loaded);
    const snapshots = await page.evaluate(() => document.querySelectorAll('a.fleet-card [data-testid="host-uptime"]').length);
    await browser.close();

    // The same lists with the monitor idle: the interval is read when each server's next tick is scheduled, so
    // after one more tick (≤ 2 s) none samples for 5 minutes.
    await client.settings.update({ sampleIntervalSec: 300 });
    await new Promise((r) => setTimeout(r, 3_000));
    const idleEngines = engineCpu();
    await new Promise((r) => setTimeout(r, 5_000));
    const idleEnginesPerSec = ((engineCpu() - idleEngines) * 1000) / 5;
    const idle = await measureLists();

    console.log(`\nthe app (built web process) with ${targets.length} servers added through its API, sampled every 2 s, ${opts.rtt} ms RTT; ${load()}`);
    console.log(
      table([
        ['', 'measured', 'target'],
        ['added → all connected (status stream)', `${fmt(allReady / 1000, 2)} s`, ''],
        [`containers.list across the fleet (${sampled.listed} containers), median, the monitor sampling every 2 s`, `${fmt(sampled.ms)} ms = ${fmt(sampled.ms / opts.rtt)} RTT`, `≤ 1.5 RTT (${sampled.load})`],
        ["  CPU per list: the app (all of it, the monitor too) / the servers' dockerd", `${fmt(sampled.appMs, 0)} / ${fmt(sampled.enginesMs, 0)} ms`, ''],
        ['same with the monitor idle', `${fmt(idle.ms)} ms = ${fmt(idle.ms / opts.rtt)} RTT`, idle.load],
        ["  CPU per list: the app / the servers' dockerd", `${fmt(idle.appMs, 0)} / ${fmt(idle.enginesMs, 0)} ms`, ''],
        ["the servers' dockerd CPU per second (all 50): sampled every 2 s / monitor idle", `${fmt(enginesPerSec, 0)} / ${fmt(idleEnginesPerSec, 0)} ms`, 'what sampling costs the engines'],
        [`main-process RSS while ${targets.length} servers stream (max / median of ${opts.watchSec} s)`, `${fmt(Math.max(...rss), 0)} / ${fmt(median(rss), 0)} MB`, '≤ 200 MB'],
        ['main-process peak RSS (VmHWM) since start', `${fmt(status(pid, 'VmHWM'), 0)} MB`, ''],
        ['main-process CPU while streaming (of one core)', `${fmt(cpuPercent, 0)} %`, ''],
        [`dashboard: long tasks in ${opts.watchSec} s of streaming (cards with metrics: ${snapshots})`, `${during.length}, longest ${fmt(Math.max(0, ...during.map((t) => t.duration)), 0)} ms`, 'none > 100 ms'],
        ['  the page\'s main-thread tasks (trace): longest wall / longest CPU', `${fmt(main.maxWallMs, 0)} / ${fmt(main.maxCpuMs, 0)} ms`, 'CPU: what the page itself spends'],
        ['  main-thread CPU while streaming', `${fmt((main.cpuMs / 1000 / opts.watchSec) * 100, 1)} % (${main.count} tasks)`, ''],
        ['dashboard: long tasks while loading', `${beforeLoad.length}, longest ${fmt(Math.max(0, ...beforeLoad.map((t) => t.duration)), 0)} ms`, ''],
      ]),
    );
  } finally {
    close();
    await web.stop();
  }
}
