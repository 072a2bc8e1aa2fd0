import { create } from 'zustand';
import type { ServerSnapshot } from '../../../shared/contract/fleet.ts';

export interface FleetState {
  byId: Record<string, ServerSnapshot>;
  set(s: ServerSnapshot): void;
  /** Several at once: one store update, so one render for all of them. */
  setMany(list: readonly ServerSnapshot[]): void;
}

/** The same snapshot again (a re-sent one): skipped, so the card does not render for nothing. */
const same = (a: ServerSnapshot | undefined, b: ServerSnapshot) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

export const useFleet = create<FleetState>((set) => ({
  byId: {},
  set: (s) => set((st) => (same(st.byId[s.serverId], s) ? st : { byId: { ...st.byId, [s.serverId]: s } })),
  setMany: (list) =>
    set((st) => {
      const changed = list.filter((s) => !same(st.byId[s.serverId], s));
      return changed.length ? { byId: { ...st.byId, ...Object.fromEntries(changed.map((s) => [s.serverId, s])) } } : st;
    }),
}));

/**
 * Collects items and hands them over once per animation frame, the latest per key: 50 servers sampled in the same
 * second make one render, not 50 (each stream message arrives as its own task), and a hidden page (no frames)
 * holds one item per key, not a backlog.
 */
export function perFrame<T>(key: (item: T) => string, flush: (items: T[]) => void, schedule: (cb: () => void) => void = (cb) => requestAnimationFrame(cb)): (item: T) => void {
  let pending: Map<string, T> | null = null;
  return (item) => {
    if (pending) {
      pending.set(key(item), item);
      return;
    }
    pending = new Map([[key(item), item]]);
    schedule(() => {
      const items = [...(pending?.values() ?? [])];
      pending = null;
      flush(items);
    });
  };
}

