import type Docker from 'dockerode';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { MANAGED } from '../docker/labels.ts';
import { runOnce } from '../docker/run-once.ts';
import { BUILDER_DATA, PROXY_CONTAINER } from '../proxy/driver.ts';
import { caddySiteFile } from './job.ts';
import REMOVE_SH from './remove.sh?raw';
import { assemble, LIB_PARTS } from './shell-lib.ts';

/** Removes an app's Caddy site (then reloads Caddy) and its jobs' folders (remove.sh); exit 3 when it could not. */
export const REMOVE_SCRIPT = assemble(REMOVE_SH, LIB_PARTS);

const DEPLOY_ID = /^d[0-9a-z]{4,40}$/;

/** Runs REMOVE_SCRIPT once in the builder image (which has sh and the docker CLI), in the foreground, bounded. */
export async function removeServerFiles(api: Docker, opts: { image: string; dockerSocket: string; settings: ShipSettings; appName: string; deployIds: string[]; timeoutMs?: number }): Promise<string> {
  const ids = opts.deployIds.filter((id) => DEPLOY_ID.test(id));
  const name = `openpanel-remove-${opts.appName}-${Date.now().toString(36)}`;
  const r = await runOnce(
    api,
    {
      name,
      Image: opts.image,
      Entrypoint: ['sh', '-c', REMOVE_SCRIPT],
      Cmd: [],
      Env: [`OP_SITE_FILE=${caddySiteFile(opts.appName)}`, `OP_PROXY_CONTAINER=${PROXY_CONTAINER}`, `OP_DATA=${BUILDER_DATA}`, `OP_JOB_IDS=${ids.join(' ')}`],
      Labels: { ...MANAGED },
      HostConfig: { NetworkMode: 'none', Binds: [`${opts.dockerSocket}:/var/run/docker.sock`, `${opts.settings.dataDir}:${BUILDER_DATA}`] },
    },
    { what: "removing the app's files on the server", timeoutMs: opts.timeoutMs ?? 60_000, tailLines: 5 },
  );
  return r.output;
}
