import type { NodeTrust } from '../../../shared/contract/registry.ts';
import { errorMessage } from '../core/errors.ts';
import type { ExecResult } from '../ssh/exec.ts';
import WRITE_CA from './write-ca.sh?raw';

export type NodeExec = (serverId: string, argv: string[], stdin?: string) => Promise<ExecResult>;

export const certsDir = (host: string) => `/etc/docker/certs.d/${host}`;

/** Runs write-ca.sh as root: directly, or through `sudo -n` for a user that is not (exit 13). */
async function run(exec: NodeExec, serverId: string, host: string, op: 'write' | 'check' | 'remove', ca: string): Promise<ExecResult> {
  const argv = ['sh', '-c', WRITE_CA, 'write-ca', host, op];
  const first = await exec(serverId, argv, op === 'remove' ? undefined : ca);
  return first.code === 13 ? exec(serverId, ['sudo', '-n', ...argv], op === 'remove' ? undefined : ca) : first;
}

function failure(r: ExecResult, what: string): string | null {
  if (r.code === 0) return null;
  const said = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-3).join(' ');
  return `${what}: ${said || `exit ${r.code}`}${r.code === 1 && /sudo/.test(r.stderr) ? ' (the user needs root or passwordless sudo)' : ''}`;
}

export interface TrustTarget {
  serverId: string;
  serverName: string;
}

/** The CA file on each node, checked and written where it is missing or different (op: write); or only checked. */
export async function trustOn(exec: NodeExec, nodes: TrustTarget[], host: string, ca: string, op: 'write' | 'check'): Promise<NodeTrust[]> {
  const path = `${certsDir(host)}/ca.crt`;
  return Promise.all(
    nodes.map(async (n): Promise<NodeTrust> => {
      try {
        let error = failure(await run(exec, n.serverId, host, 'check', ca), `${path} on ${n.serverName}`);
        if (error && op === 'write') error = failure(await run(exec, n.serverId, host, 'write', ca), `writing ${path} on ${n.serverName}`);
        return { serverId: n.serverId, serverName: n.serverName, ok: error === null, path, error };
      } catch (e) {
        return { serverId: n.serverId, serverName: n.serverName, ok: false, path, error: `${n.serverName}: ${errorMessage(e)}` };
      }
    }),
  );
}

export async function untrustOn(exec: NodeExec, nodes: TrustTarget[], host: string): Promise<string[]> {
  const errors = await Promise.all(
    nodes.map(async (n) => {
      try {
        return failure(await run(exec, n.serverId, host, 'remove', ''), `removing ${certsDir(host)} on ${n.serverName}`);
      } catch (e) {
        return `${n.serverName}: ${errorMessage(e)}`;
      }
    }),
  );
  return errors.filter((e): e is string => e !== null);
}
