import type { Quorum } from '../../../shared/contract/cluster.ts';

/**
 * Raft quorum of a swarm's managers: a majority must be reachable for any change (deploys, scaling, node changes);
 * running tasks keep running without it. Warnings for layouts that tolerate no more loss than a smaller one.
 */
export function quorumOf(managers: number, reachable: number): Quorum {
  const needed = Math.floor(managers / 2) + 1;
  const tolerance = Math.floor((managers - 1) / 2);
  const healthy = managers > 0 && reachable >= needed;
  const warnings: string[] = [];
  if (managers === 1) warnings.push('One manager: if it is lost, the cluster cannot be changed until it is back. Three managers tolerate the loss of one.');
  else if (managers === 2) warnings.push('Two managers tolerate no loss, like one, and either failing stops all changes: use three.');
  else if (managers > 0 && managers % 2 === 0) warnings.push(`${managers} managers tolerate ${tolerance} lost, no more than ${managers - 1} would: use an odd number.`);
  if (managers > 0 && reachable < managers) warnings.push(`${managers - reachable} of ${managers} managers unreachable.`);
  return { managers, reachable, needed, tolerance, healthy, warnings, oneMoreLost: oneMore(managers, reachable, needed, healthy) };
}

function oneMore(managers: number, reachable: number, needed: number, healthy: boolean): string {
  if (managers === 0) return 'No managers: the cluster cannot be changed.';
  if (!healthy) return `Quorum is lost (${reachable} of ${managers} reachable, ${needed} needed): no changes until managers are back; running tasks keep running.`;
  const left = reachable - 1;
  if (left >= needed) {
    const margin = left === needed ? ', with no margin left' : '';
    return `Losing one more manager leaves ${left} of ${managers}: still a majority, the cluster keeps working${margin}.`;
  }
  return `Losing one more manager leaves ${left} of ${managers}, short of the ${needed} needed: no deploys, scaling or node changes until it is back; running tasks keep running.`;
}
