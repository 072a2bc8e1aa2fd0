// Stand-ins for the official prom/* images, built offline from Debian bookworm's packages (prometheus 2.42,
// node-exporter 1.5, alertmanager 0.25, blackbox-exporter 0.23): one Debian image, tagged four times with the
// official images' contract: the binary as ENTRYPOINT at /bin/<name>, USER nobody (65534), data dirs owned by it.
import { SERVICE_IMAGES } from '../../src/shared/contract/images.ts';
import type { TestServer } from '../testbed/index.ts';

export const WATCH_PACKAGES = ['prometheus', 'prometheus-node-exporter', 'prometheus-alertmanager', 'prometheus-blackbox-exporter'];

export const WATCH_STANDINS = {
  prometheus: 'openpanel-test/prometheus-standin:2.42',
  alertmanager: 'openpanel-test/alertmanager-standin:0.25',
  nodeExporter: 'openpanel-test/node-exporter-standin:1.5',
  blackbox: 'openpanel-test/blackbox-exporter-standin:0.23',
} as const;

// Debian's binaries are prometheus, prometheus-node-exporter, … in /usr/bin (/bin is /usr/bin on bookworm).
const DOCKERFILES: Record<keyof typeof WATCH_STANDINS, (base: string) => string> = {
  prometheus: (base) => `FROM ${base}
RUN mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
ENTRYPOINT ["/bin/prometheus"]
`,
  alertmanager: (base) => `FROM ${base}
RUN ln -sf /usr/bin/prometheus-alertmanager /usr/bin/alertmanager && mkdir -p /alertmanager && chown nobody:nogroup /alertmanager
USER nobody
WORKDIR /alertmanager
ENTRYPOINT ["/bin/alertmanager"]
`,
  nodeExporter: (base) => `FROM ${base}
RUN ln -sf /usr/bin/prometheus-node-exporter /usr/bin/node_exporter
USER nobody
ENTRYPOINT ["/bin/node_exporter"]
`,
  blackbox: (base) => `FROM ${base}
RUN ln -sf /usr/bin/prometheus-blackbox-exporter /usr/bin/blackbox_exporter
USER nobody
ENTRYPOINT ["/bin/blackbox_exporter"]
`,
};

/** Imports the Debian image (built once, cached) and tags the four stand-ins on the server. */
export async function loadWatchImages(s: TestServer): Promise<typeof WATCH_STANDINS> {
  const base = await s.loadImage('debian', { packages: WATCH_PACKAGES });
  for (const [part, tag] of Object.entries(WATCH_STANDINS) as [keyof typeof WATCH_STANDINS, string][]) {
    const ctx = `/tmp/watch-standin-${part}-${process.pid}`;
    await s.exec(['mkdir', '-p', ctx], { check: true });
    await s.exec(['sh', '-c', 'cat > "$0"', `${ctx}/Dockerfile`], { input: DOCKERFILES[part](base), check: true });
    await s.exec(['docker', 'build', '-q', '-t', tag, ctx], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
  }
  return WATCH_STANDINS;
}

/** The image mapping (the proxy settings' image overrides) from the official names to the stand-ins. */
export function watchImageMapping(): Record<string, string> {
  return {
    [SERVICE_IMAGES.prometheus]: WATCH_STANDINS.prometheus,
    [SERVICE_IMAGES.alertmanager]: WATCH_STANDINS.alertmanager,
    [SERVICE_IMAGES.nodeExporter]: WATCH_STANDINS.nodeExporter,
    [SERVICE_IMAGES.blackbox]: WATCH_STANDINS.blackbox,
  };
}
