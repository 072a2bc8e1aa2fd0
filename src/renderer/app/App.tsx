import { Suspense, useEffect, useState, type ComponentType } from 'react';
import { HostKeyPrompts } from '../features/servers/HostKeyPrompts.tsx';
import { useStatus, useStatusFeed } from '../features/servers/status.tsx';
import { useAlertNotifications, useFleetFeed } from '../features/servers/fleet.ts';
import { useBackupNotices } from '../features/backups/notices.ts';
import { WatchAlerts } from '../features/watch/WatchAlerts.tsx';
import { lazyChunk } from '../lib/lazy.ts';
import type { Connection } from '../lib/rpc.ts';
import { CommandPalette } from './CommandPalette.tsx';
import { ConfirmHost } from './confirm.tsx';
import { ROUTES, routeFromHash, useUi, type RouteId } from './store.ts';
import { useTheme } from './theme.ts';
import { Toasts } from './Toasts.tsx';

/** Each page is its own chunk, fetched the first time it is shown. */
const loaders = {
  servers: () => import('../features/servers/ServersPage.tsx').then((m) => ({ default: m.ServersPage })),
  cluster: () => import('../features/cluster/ClusterPage.tsx').then((m) => ({ default: m.ClusterPage })),
  containers: () => import('../features/containers/ContainersPage.tsx').then((m) => ({ default: m.ContainersPage })),
  logs: () => import('../features/logs/LogsPage.tsx').then((m) => ({ default: m.LogsPage })),
  terminals: () => import('../features/terminals/TerminalsPage.tsx').then((m) => ({ default: m.TerminalsPage })),
  apps: () => import('../features/apps/AppsPage.tsx').then((m) => ({ default: m.AppsPage })),
  databases: () => import('../features/databases/DatabasesPage.tsx').then((m) => ({ default: m.DatabasesPage })),
  forwards: () => import('../features/forwards/ForwardsPage.tsx').then((m) => ({ default: m.ForwardsPage })),
  backups: () => import('../features/backups/BackupsPage.tsx').then((m) => ({ default: m.BackupsPage })),
  watch: () => import('../features/watch/WatchPage.tsx').then((m) => ({ default: m.WatchPage })),
  assistant: () => import('../features/assistant/AssistantPage.tsx').then((m) => ({ default: m.AssistantPage })),
  activity: () => import('../features/activity/ActivityPage.tsx').then((m) => ({ default: m.ActivityPage })),
  settings: () => import('../features/settings/SettingsPage.tsx').then((m) => ({ default: m.SettingsPage })),
} satisfies Record<RouteId, () => Promise<{ default: ComponentType }>>;

const pages = Object.fromEntries(Object.entries(loaders).map(([id, load]) => [id, lazyChunk(load as () => Promise<{ default: ComponentType }>)])) as unknown as Record<RouteId, ComponentType>;

function Page({ route }: { route: RouteId }) {
  const Component = pages[route];
  return (
    <Suspense fallback={<div className="page-loading" aria-busy="true" />}>
      <Component />
    </Suspense>
  );
}

export function App({ connection }: { connection: Connection }) {
  const route = useUi((s) => s.route);
  const navigate = useUi((s) => s.navigate);
  const setPaletteOpen = useUi((s) => s.setPaletteOpen);
  const theme = useTheme();
  useStatusFeed();
  useFleetFeed();
  useAlertNotifications(theme.notifications);
  useBackupNotices(theme.notifications);
  const statuses = useStatus((s) => s.byId);
  const problems = Object.values(statuses).filter((s) => s.state === 'failed' || s.state === 'reconnecting').length;
  const [disconnected, setDisconnected] = useState<string | null>(null);

  useEffect(() => {
    const onHash = () => navigate(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    // A lazy page renders before this effect runs: a hash change in between would otherwise be missed.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, [navigate]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setPaletteOpen(!useUi.getState().paletteOpen);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setPaletteOpen]);

  useEffect(() => {
    void connection.closed.then(({ code, reason }) => setDisconnected(`${reason || 'connection closed'} (${code})`));
  }, [connection]);

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="logo">◧</span> OpenPanel
        </div>
        <ul>
          {ROUTES.map((r) => (
            <li key={r.id}>
              <a href={`#/${r.id}`} onClick={() => r.id === route && (window.location.hash = `#/${r.id}`)} className={route === r.id ? 'active' : ''} aria-current={route === r.id ? 'page' : undefined} data-nav={r.id}>
                <span className="icon" aria-hidden>
                  {r.icon}
                </span>
                {r.label}
                {r.id === 'servers' && problems > 0 && (
                  <span className="badge failed" title="servers with connection problems">
                    {problems}
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">{connection.transport === 'websocket' ? 'web mode' : 'desktop'}</div>
      </nav>
      <div className="main">
        <header className="topbar">
          <button className="search" onClick={() => setPaletteOpen(true)} aria-keyshortcuts="Control+K" data-testid="palette-open">
            Search or run a command… <kbd>Ctrl K</kbd>
          </button>
          <div className="spacer" />
          <button className="icon-button" onClick={theme.toggle} aria-label="Toggle theme" data-testid="theme-toggle" title={`Theme: ${theme.resolved}`}>
            {theme.resolved === 'dark' ? '☾' : '☀'}
          </button>
        </header>
        {disconnected && (
          <div className="banner error" role="alert">
            Disconnected from the OpenPanel backend: {disconnected}. Restart it and reload this page.
          </div>
        )}
        <main className="content" data-page={route}>
          <Page route={route} />
        </main>
      </div>
      <CommandPalette onToggleTheme={theme.toggle} />
      <HostKeyPrompts />
      <ConfirmHost />
      <WatchAlerts notify={theme.notifications} />
      <Toasts />
    </div>
  );
}
