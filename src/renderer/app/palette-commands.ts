import type { App } from '../../shared/contract/apps.ts';
import type { BackupJob } from '../../shared/contract/backups.ts';
import type { Container } from '../../shared/contract/containers.ts';
import type { ManagedDatabase } from '../../shared/contract/databases.ts';
import type { Server } from '../../shared/contract/servers.ts';
import { containerAction, containerLogsHash, openContainerShell } from '../features/containers/actions.ts';
import { openTerminal } from '../features/terminals/open.ts';
import type { Ask } from './confirm.tsx';
import { useUi, type RouteId, type UiRequest } from './store.ts';

export interface PaletteCommand {
  id: string;
  group: string;
  label: string;
  hint?: string;
  keywords?: string[];
  /** Asked in the app's confirm dialog before `run` (actions that run something on a server). */
  confirm?: Omit<Ask, 'input'>;
  run(): void | Promise<void>;
}

export interface Entities {
  servers: Server[];
  containers: Container[];
  apps: App[];
  databases: ManagedDatabase[];
  jobs: BackupJob[];
}

/** Hands an action to the page that owns it (the same code its button runs), then shows that page. */
function request(r: UiRequest, route: RouteId | string): void {
  useUi.getState().setRequest(r);
  window.location.hash = route.startsWith('#') ? route : `#/${route}`;
}

/** One command per action of each entity; each runs what the entity's page runs for the same button. */
export function entityCommands({ servers, containers, apps, databases, jobs }: Entities): PaletteCommand[] {
  const serverName = new Map(servers.map((s) => [s.id, s.name]));
  const on = (serverId: string) => ` on ${serverName.get(serverId) ?? 'an unknown server'}`;
  const out: PaletteCommand[] = [];
  for (const s of servers) {
    const hint = `${s.username}@${s.host}`;
    out.push(
      { id: `server-open-${s.id}`, group: 'Servers', label: `Open server ${s.name}`, hint, run: () => void (window.location.hash = `#/servers/${s.id}`) },
      { id: `server-terminal-${s.id}`, group: 'Servers', label: `Open a terminal on ${s.name}`, hint, keywords: ['shell', 'ssh'], run: () => openTerminal({ serverId: s.id }, 'Terminal failed') },
      { id: `server-edit-${s.id}`, group: 'Servers', label: `Edit server ${s.name}`, hint, run: () => request({ kind: 'edit-server', serverId: s.id }, `#/servers/${s.id}`) },
    );
  }
  for (const c of containers) {
    const where = on(c.serverId);
    const key = `${c.serverId}-${c.id}`;
    const hint = `${c.state} · ${c.image}`;
    const running = c.state === 'running';
    if (running) {
      out.push(
        { id: `container-restart-${key}`, group: 'Containers', label: `Restart container ${c.name}${where}`, hint, confirm: { title: `Restart container ${c.name}${where}?`, detail: 'Its processes are stopped and started again.', confirmLabel: 'Restart' }, run: () => containerAction(c, 'restart', serverName.get(c.serverId)) },
        { id: `container-stop-${key}`, group: 'Containers', label: `Stop container ${c.name}${where}`, hint, confirm: { title: `Stop container ${c.name}${where}?`, confirmLabel: 'Stop', danger: true }, run: () => containerAction(c, 'stop', serverName.get(c.serverId)) },
        { id: `container-shell-${key}`, group: 'Containers', label: `Shell in container ${c.name}${where}`, hint, keywords: ['terminal', 'exec'], run: () => openContainerShell(c) },
      );
    } else {
      out.push({ id: `container-start-${key}`, group: 'Containers', label: `Start container ${c.name}${where}`, hint, confirm: { title: `Start container ${c.name}${where}?`, confirmLabel: 'Start' }, run: () => containerAction(c, 'start', serverName.get(c.serverId)) });
    }
    out.push({ id: `container-logs-${key}`, group: 'Containers', label: `Logs of container ${c.name}${where}`, hint, run: () => void (window.location.hash = containerLogsHash(c)) });
  }
  for (const a of apps) {
    const where = on(a.serverId);
    const hint = a.lastDeploy?.status ?? 'never deployed';
    out.push(
      { id: `app-deploy-${a.id}`, group: 'Apps', label: `Deploy app ${a.name}${where}`, hint, confirm: { title: `Deploy ${a.name}${where}?`, detail: 'A new release is built and started on the server; the current one serves until it is healthy.', confirmLabel: 'Deploy' }, run: () => request({ kind: 'deploy-app', serverId: a.serverId, appId: a.id }, 'apps') },
      { id: `app-open-${a.id}`, group: 'Apps', label: `Open app ${a.name}${where}`, hint, run: () => request({ kind: 'show-app', serverId: a.serverId, appId: a.id }, 'apps') },
    );
  }
  for (const d of databases) out.push({ id: `database-open-${d.id}`, group: 'Databases', label: `Open database ${d.name}${on(d.serverId)}`, hint: d.engine, run: () => void (window.location.hash = '#/databases') });
  for (const j of jobs) {
    const where = on(j.serverId);
    out.push({ id: `backup-now-${j.id}`, group: 'Backups', label: `Back up ${j.label} now${where}`, hint: j.schedule, confirm: { title: `Back up ${j.label} now${where}?`, detail: 'A dump runs on the server and is uploaded, encrypted, to the backup target.', confirmLabel: 'Back up now' }, run: () => request({ kind: 'backup-now', jobId: j.id }, 'backups') });
  }
  return out;
}
