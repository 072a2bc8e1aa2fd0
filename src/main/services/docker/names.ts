import type Docker from 'dockerode';

/** A container as every list shows it. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  created: number;
}

/**
 * A container's name as people know it, from a list entry (`Names`) or an inspect (`Name`): Docker's name without
 * its leading slash, else the short id.
 */
export function containerName(c: { Id: string; Names?: string[]; Name?: string }): string {
  return (c.Names?.[0] ?? c.Name ?? c.Id.slice(0, 12)).replace(/^\//, '');
}

/** The one mapping of a Docker list entry to what the app shows (servers.containers, containers.list). */
export function containerSummary(c: Docker.ContainerInfo): ContainerSummary {
  return { id: c.Id, name: containerName(c), image: c.Image, state: c.State, status: c.Status, created: c.Created * 1000 };
}
