import { describe, expect, it } from 'vitest';
import type { Container } from '../../../shared/contract/containers.ts';
import type { ContainersService } from './containers.ts';
import type { DockerService } from './service.ts';
import { watchContainers } from './watch.ts';

/** An engine whose list view lags its event log: the first list after `die` still says running. */
function laggingEngine() {
  const queue: { type: string; action: string }[] = [];
  let wake: (() => void) | null = null;
  let listCalls = 0;
  let state = 'running';
  let lagging = false;
  const docker = {
    async *events(_id: string, signal: AbortSignal) {
      while (!signal.aborted) {
        const ev = queue.shift();
        if (ev) yield ev;
        else await new Promise<void>((r) => (wake = r));
      }
    },
  } as unknown as DockerService;
  const containers = {
    async list(): Promise<Container[]> {
      listCalls++;
      const shown = lagging ? 'running' : state;
      lagging = false;
      return [{ id: 'c1', name: 'idle', state: shown } as Container];
    },
  } as unknown as ContainersService;
  return {
    docker,
    containers,
    kill() {
      state = 'exited';
      lagging = true;
      queue.push({ type: 'container', action: 'kill' }, { type: 'container', action: 'die' });
      wake?.();
    },
    get listCalls() {
      return listCalls;
    },
  };
}

describe('watchContainers', () => {
  it('looks once more after a burst, so a list view lagging behind the event log still ends right', async () => {
    const engine = laggingEngine();
    const ac = new AbortController();
    const states: string[] = [];
    const it = watchContainers(engine.docker, engine.containers, 's1', ac.signal, { debounceMs: 10, settleMs: 30 });
    states.push((await it.next()).value![0]!.state);
    engine.kill();
    states.push((await it.next()).value![0]!.state);
    states.push((await it.next()).value![0]!.state);
    expect(states).toEqual(['running', 'running', 'exited']);
    ac.abort();
    expect(engine.listCalls).toBe(3);
  });

  it('sends nothing after the settle look when nothing changed', async () => {
    const engine = laggingEngine();
    const ac = new AbortController();
    const it = watchContainers(engine.docker, engine.containers, 's1', ac.signal, { debounceMs: 10, settleMs: 30 });
    await it.next();
    engine.kill();
    await it.next();
    await it.next();
    // Quiet now: the settle look happens once and yields nothing new.
    const more = Promise.race([it.next().then(() => 'yielded'), new Promise((r) => setTimeout(() => r('quiet'), 150))]);
    expect(await more).toBe('quiet');
    expect(engine.listCalls).toBe(3);
    ac.abort();
  });
});
