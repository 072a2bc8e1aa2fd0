import type Docker from 'dockerode';
import { dockerError, isDockerNotFound } from './errors.ts';

/**
 * Makes sure the bridge network `name` exists, created with `labels` when the engine answers 404. Two callers
 * racing to create it both succeed: a failed create is fine when the network exists afterwards.
 */
export async function ensureNetwork(api: Docker, name: string, labels: Record<string, string>): Promise<void> {
  try {
    await api.getNetwork(name).inspect();
    return;
  } catch (e) {
    if (!isDockerNotFound(e)) throw dockerError(e, `network ${name}`);
  }
  try {
    await api.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
  } catch (e) {
    const exists = await api
      .getNetwork(name)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!exists) throw dockerError(e, `network ${name}`);
  }
}
