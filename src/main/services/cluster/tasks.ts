import type { ClusterTask } from '../../../shared/contract/cluster-apps.ts';

/** A task as the Engine API lists it (the fields the views read). */
export interface RawTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; Message?: string; Timestamp?: string };
  Spec?: { ContainerSpec?: { Image?: string } };
  UpdatedAt?: string;
}

/** How the views name a task's node: hostname, OpenPanel server, and (when known) the node's state. */
export interface TaskNodes {
  hostOf: (nodeId: string) => string;
  serverOf: (nodeId: string) => string | null;
  /** A task left on a down node may still say running (desired shutdown): the node's state says why. */
  stateOf?: (nodeId: string) => string | null;
}

/** Tasks as the cluster views show them (apps and stacks): the ones meant to run first, newest first, at most `max`. */
export function taskViews(tasks: RawTask[], nodes: TaskNodes, max = 60): ClusterTask[] {
  return tasks
    .map((t) => ({
      id: t.ID,
      slot: t.Slot ?? null,
      nodeId: t.NodeID ?? null,
      node: t.NodeID ? nodes.hostOf(t.NodeID) : null,
      serverId: t.NodeID ? nodes.serverOf(t.NodeID) : null,
      ...(nodes.stateOf ? { nodeState: t.NodeID ? nodes.stateOf(t.NodeID) : null } : {}),
      state: t.Status?.State ?? 'unknown',
      desired: t.DesiredState ?? 'unknown',
      error: t.Status?.Err || null,
      image: t.Spec?.ContainerSpec?.Image ?? '',
      since: Date.parse(t.Status?.Timestamp ?? t.UpdatedAt ?? '') || 0,
    }))
    .sort((a, b) => (a.desired === b.desired ? b.since - a.since : a.desired === 'running' ? -1 : 1))
    .slice(0, max);
}
