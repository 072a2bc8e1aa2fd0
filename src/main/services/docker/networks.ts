import type Docker from 'dockerode';
import { dockerError, isDockerNotFound } from './errors.ts';

/** Calls in flight per engine and network name: the engine does not refuse a second network of the same name. */
const inFlight = new WeakMap<Docker, Map<string, Promise<void>>>();

/**
 * Makes sure the bridge network `name` exists, created with `labels` when the engine answers 404. Concurrent calls
 * for the same engine and name share one check-and-create (Docker would make a duplicate per caller); a failed
 * create is fine when the network exists after it (another process made it).
 */
export function ensureNetwork(api: Docker, name: string, labels: Record<string, string>, opts: NetworkOptions = {}): Promise<void> {
  let calls = inFlight.get(api);
  if (!calls) inFlight.set(api, (calls = new Map()));
  const pending = calls.get(name);
  if (pending) return pending;
  const call = checkAndCreate(api, name, labels, opts).finally(() => calls.delete(name));
  calls.set(name, call);
  return call;
}

/** A cluster's overlay network (attachable, so the proxy can join it) instead of a bridge. */
export interface NetworkOptions {
  overlay?: boolean;
}

async function checkAndCreate(api: Docker, name: string, labels: Record<string, string>, opts: NetworkOptions): Promise<void> {
  try {
    await api.getNetwork(name).inspect();
    return;
  } catch (e) {
    if (!isDockerNotFound(e)) throw dockerError(e, `network ${name}`);
  }
  try {
    await api.createNetwork({ Name: name, Driver: opts.overlay ? 'overlay' : 'bridge', CheckDuplicate: true, Labels: labels, ...(opts.overlay ? { Attachable: true } : {}) });
  } catch (e) {
    const exists = await api
      .getNetwork(name)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!exists) throw dockerError(e, `network ${name}`);
  }
}
