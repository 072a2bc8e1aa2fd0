import type Docker from 'dockerode';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { MANAGED_LABEL } from '../docker/containers.ts';
import { BUILDER_DATA, PROXY_CONTAINER } from '../proxy/driver.ts';
import { caddySiteFile } from './job.ts';
import { runOnce } from './run-once.ts';

/**
 * What an app leaves in the server's data dir once its containers are gone: its Caddy site file (then a graceful
 * reload, so its hosts stop routing) and its jobs' folders (state + log of each deploy). Constant POSIX sh; values
 * in OP_* variables. Deploy ids are checked by the caller (they name folders).
 */
export const REMOVE_SCRIPT = String.raw`
set -u
if [ -f "$OP_SITE_FILE" ]; then
  rm -f "$OP_SITE_FILE" "$OP_SITE_FILE.previous" || { echo "!! cannot remove the proxy site $(basename "$OP_SITE_FILE")"; exit 3; }
  echo "removed the proxy site $(basename "$OP_SITE_FILE")"
  if docker inspect "$OP_PROXY_CONTAINER" >/dev/null 2>&1; then
    docker exec "$OP_PROXY_CONTAINER" caddy reload --config /etc/openpanel/Caddyfile --adapter caddyfile >/dev/null 2>&1 && echo "proxy reloaded" || { echo "!! the proxy did not reload"; exit 3; }
  fi
fi
n=0
for id in $OP_JOB_IDS; do
  if [ -d "$OP_DATA/jobs/$id" ]; then rm -rf "$OP_DATA/jobs/$id" || { echo "!! cannot remove the job folder $id"; exit 3; }; n=$((n + 1)); fi
done
echo "removed $n job folder(s)"
`;

const DEPLOY_ID = /^d[0-9a-z]{4,40}$/;

/** Runs REMOVE_SCRIPT once in the builder image (which has sh and the docker CLI), in the foreground, bounded. */
export async function removeServerFiles(api: Docker, opts: { image: string; dockerSocket: string; settings: ShipSettings; appName: string; deployIds: string[]; timeoutMs?: number }): Promise<string> {
  const ids = opts.deployIds.filter((id) => DEPLOY_ID.test(id));
  const name = `openpanel-remove-${opts.appName}-${Date.now().toString(36)}`;
  return runOnce(
    api,
    {
      name,
      Image: opts.image,
      Entrypoint: ['sh', '-c', REMOVE_SCRIPT],
      Cmd: [],
      Env: [`OP_SITE_FILE=${caddySiteFile(opts.appName)}`, `OP_PROXY_CONTAINER=${PROXY_CONTAINER}`, `OP_DATA=${BUILDER_DATA}`, `OP_JOB_IDS=${ids.join(' ')}`],
      Labels: { [MANAGED_LABEL]: 'true' },
      HostConfig: { NetworkMode: 'none', Binds: [`${opts.dockerSocket}:/var/run/docker.sock`, `${opts.settings.dataDir}:${BUILDER_DATA}`] },
    },
    { what: "removing the app's files on the server", timeoutMs: opts.timeoutMs ?? 60_000, tailLines: 5 },
  );
}
