import type Docker from 'dockerode';
import { errorMessage } from '../core/errors.ts';
import { readContainerLogs } from '../docker/container-logs.ts';
import { containerName } from '../docker/names.ts';

export interface ServerContextDeps {
  facts(serverId: string): Promise<unknown>;
  containers(serverId: string): Promise<{ name: string; image: string; state: string; status: string; health: string }[]>;
  docker(serverId: string): Promise<Docker>;
}

/** Facts and containers of a server, as text for the model. Each part says so when it could not be read. */
export async function serverContext(deps: ServerContextDeps, serverId: string, serverName: string): Promise<string> {
  const facts = await deps.facts(serverId).then(
    (f) => JSON.stringify(f, null, 1),
    (e: unknown) => `(unavailable: ${errorMessage(e)})`,
  );
  const containers = await deps.containers(serverId).then(
    (list) => list.map((c) => `- ${c.name} (${c.image}): ${c.state}, ${c.status}${c.health !== 'none' ? `, health ${c.health}` : ''}`).join('\n') || '(none)',
    (e: unknown) => `(unavailable: ${errorMessage(e)})`,
  );
  return `Server "${serverName}"\n\nFacts:\n${facts}\n\nContainers:\n${containers}`;
}

/** State and the last lines of a container's logs, for "explain this failure". */
export async function containerFailure(deps: ServerContextDeps, serverId: string, containerId: string, tail = 150): Promise<string> {
  const docker = await deps.docker(serverId);
  const c = docker.getContainer(containerId);
  const info = await c.inspect();
  const logs = await readContainerLogs(docker, info.Id, tail);
  const s = info.State;
  const health = s.Health ? `\nHealth: ${s.Health.Status}, failing streak ${s.Health.FailingStreak}\nLast health checks:\n${(s.Health.Log ?? []).slice(-3).map((l) => `  exit ${l.ExitCode}: ${l.Output.trim().slice(0, 500)}`).join('\n')}` : '';
  return [
    `Container ${containerName(info)} (image ${info.Config.Image})`,
    `State: ${s.Status}, exit code ${s.ExitCode}${s.OOMKilled ? ', OOM killed' : ''}${s.Error ? `, error: ${s.Error}` : ''}, restarts ${info.RestartCount}${health}`,
    `Last ${tail} log lines:\n${logs.output.trimEnd()}`,
  ].join('\n');
}
