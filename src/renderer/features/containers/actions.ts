import type { Container } from '../../../shared/contract/containers.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';
import { openTerminal } from '../terminals/open.ts';

export type ContainerAction = 'start' | 'stop' | 'restart' | 'kill' | 'remove';

/** What the containers table's buttons (and the command palette) do: removal asks first; a failure is a toast. */
export async function containerAction(c: Container, action: ContainerAction, serverName: string | undefined): Promise<void> {
  if (action === 'remove' && !(await confirmDialog({ title: `Remove container ${c.name} on ${serverName}?`, ...(c.state === 'running' ? { detail: 'It is running and will be stopped.' } : {}), confirmLabel: 'Remove container', danger: true }))) return;
  try {
    await api().containers.action({ serverId: c.serverId, id: c.id, action, force: action === 'remove' && c.state === 'running' });
  } catch (e) {
    useUi.getState().toast({ kind: 'error', title: `${action} ${c.name} failed`, detail: describeError(e).message });
  }
}

export function openContainerShell(c: Container): Promise<void> {
  return openTerminal({ serverId: c.serverId, target: { kind: 'container', containerId: c.id } }, `Shell in ${c.name} failed`);
}

export function containerLogsHash(c: Pick<Container, 'serverId' | 'id'>): string {
  return `#/logs?server=${c.serverId}&containers=${c.id}`;
}
