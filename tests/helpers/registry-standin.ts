// Stand-in for the official registry:2 image, built offline from Debian bookworm's docker-registry package
// (distribution 2.8, the same v2 API): the binary as `registry` on PATH, ENTRYPOINT/CMD as the official image runs it.
import { SERVICE_IMAGES } from '../../src/shared/contract/images.ts';
import type { TestServer } from '../testbed/index.ts';

export const REGISTRY_STANDIN = 'openpanel-test/registry-standin:2.8';

const DOCKERFILE = (base: string) => `FROM ${base}
RUN ln -sf /usr/bin/docker-registry /usr/bin/registry && mkdir -p /var/lib/registry /etc/docker/registry
EXPOSE 5000
ENTRYPOINT ["registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
`;

/** Imports the Debian image with docker-registry (built once, cached) and tags the stand-in on the server. */
export async function loadRegistryStandin(s: TestServer): Promise<string> {
  const base = await s.loadImage('debian', { packages: ['docker-registry'] });
  const ctx = `/tmp/registry-standin-${process.pid}`;
  await s.exec(['mkdir', '-p', ctx], { check: true });
  await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/Dockerfile`], { input: DOCKERFILE(base), check: true });
  await s.exec(['docker', 'build', '-q', '-t', REGISTRY_STANDIN, ctx], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
  return REGISTRY_STANDIN;
}

/** The image mapping (the proxy settings' image overrides) from registry:2 to the stand-in. */
export function registryImageMapping(): Record<string, string> {
  return { [SERVICE_IMAGES.registry]: REGISTRY_STANDIN };
}
