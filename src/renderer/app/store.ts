import { useEffect, useEffectEvent } from 'react';
import { create } from 'zustand';

export const ROUTES = [
  { id: 'servers', label: 'Servers', icon: '▤' },
  { id: 'cluster', label: 'Clusters', icon: '⬡' },
  { id: 'containers', label: 'Containers', icon: '▣' },
  { id: 'logs', label: 'Logs', icon: '☰' },
  { id: 'terminals', label: 'Terminals', icon: '⌨' },
  { id: 'apps', label: 'Apps', icon: '◈' },
  { id: 'databases', label: 'Databases', icon: '⛁' },
  { id: 'forwards', label: 'Forwards', icon: '⇄' },
  { id: 'backups', label: 'Backups', icon: '⟲' },
  { id: 'watch', label: 'Watch', icon: '◉' },
  { id: 'assistant', label: 'Assistant', icon: '✦' },
  { id: 'activity', label: 'Activity', icon: '≡' },
  { id: 'settings', label: 'Settings', icon: '⚙' },
] as const;
export type RouteId = (typeof ROUTES)[number]['id'];

export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split(/[/?&]/)[0];
  return (ROUTES.find((r) => r.id === id)?.id ?? 'servers') as RouteId;
}

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  title: string;
  detail?: string;
}

/** Something asked for from outside a page (the command palette) that the page carries out when it shows. */
export type UiRequest =
  | { kind: 'edit-server'; serverId: string }
  | { kind: 'show-app'; serverId: string; appId: string }
  | { kind: 'deploy-app'; serverId: string; appId: string }
  | { kind: 'backup-now'; jobId: string };

type RequestOf<K extends UiRequest['kind']> = Extract<UiRequest, { kind: K }>;

/**
 * Carries out a request of `kind` that `match` accepts, pending now or arriving later; each is taken once, unless
 * `keep` leaves it for another component (a page selects the app, its panel runs the deploy).
 */
export function useUiRequest<K extends UiRequest['kind']>(kind: K, match: (r: RequestOf<K>) => boolean, handle: (r: RequestOf<K>) => void, keep = false): void {
  const take = useEffectEvent(() => {
    const r = useUi.getState().request;
    if (!r || r.kind !== kind || !match(r as RequestOf<K>)) return;
    if (!keep) useUi.getState().setRequest(null);
    handle(r as RequestOf<K>);
  });
  useEffect(() => {
    take();
    return useUi.subscribe(() => take());
  }, []);
}

interface UiState {
  route: RouteId;
  paletteOpen: boolean;
  resolvedTheme: 'light' | 'dark';
  toasts: Toast[];
  request: UiRequest | null;
  navigate(route: RouteId): void;
  setPaletteOpen(open: boolean): void;
  setResolvedTheme(theme: 'light' | 'dark'): void;
  toast(t: Omit<Toast, 'id'>): void;
  dismiss(id: number): void;
  setRequest(request: UiRequest | null): void;
}

let toastSeq = 0;

export const useUi = create<UiState>((set) => ({
  route: routeFromHash(window.location.hash),
  paletteOpen: false,
  resolvedTheme: 'dark',
  toasts: [],
  request: null,
  navigate: (route) => {
    if (routeFromHash(window.location.hash) !== route) window.location.hash = `#/${route}`;
    set({ route });
  },
  setPaletteOpen: (paletteOpen) => set({ paletteOpen }),
  setResolvedTheme: (resolvedTheme) => set({ resolvedTheme }),
  toast: (t) => {
    const id = ++toastSeq;
    set((s) => ({ toasts: [...s.toasts.slice(-4), { ...t, id }] }));
    setTimeout(() => set((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) })), t.kind === 'error' ? 8000 : 4000);
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) })),
  setRequest: (request) => set({ request }),
}));
