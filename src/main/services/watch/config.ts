import type { WatchIntervals } from '../../../shared/contract/watch.ts';
import { WATCH_CONFIG_MOUNT, WATCH_JOBS, WATCH_PORTS } from './names.ts';

/** An app domain probed through the server's own proxy (Host and SNI = the domain; no public DNS needed). */
export interface ProbeTarget {
  host: string;
  tls: boolean;
  /** Caddy's internal CA: not publicly trusted, so its chain is not verified (the expiry still is read). */
  internal: boolean;
  appName: string;
}

export interface PeerTarget {
  serverId: string;
  name: string;
  address: string;
}

export interface PrometheusConfigInput {
  serverName: string;
  intervals: WatchIntervals;
  peers: readonly PeerTarget[];
  probes: readonly ProbeTarget[];
  proxyPorts: { http: number; https: number };
}

/** JSON strings are YAML scalars: every value goes through this, never spliced raw. */
const q = (s: string) => JSON.stringify(s);
const loopback = (port: number) => q(`127.0.0.1:${port}`);
/** Peer addresses are IP literals (checked by the service); IPv6 needs brackets in host:port. */
export const hostPort = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** The blackbox module of the i-th probe (module names are ours, never a domain). */
export const probeModule = (i: number) => `op_http_${i}`;

export function prometheusYaml(input: PrometheusConfigInput): string {
  const { intervals } = input;
  const timeout = Math.min(10, intervals.scrapeSeconds);
  const lines = [
    'global:',
    `  scrape_interval: ${intervals.scrapeSeconds}s`,
    `  scrape_timeout: ${timeout}s`,
    `  evaluation_interval: ${intervals.evaluateSeconds}s`,
    '  external_labels:',
    `    server: ${q(input.serverName)}`,
    'rule_files:',
    `  - ${q(`${WATCH_CONFIG_MOUNT}/rules/*.yml`)}`,
    'alerting:',
    '  alertmanagers:',
    '    - static_configs:',
    `        - targets: [${loopback(WATCH_PORTS.alertmanager)}]`,
    'scrape_configs:',
    `  - job_name: ${WATCH_JOBS.node}`,
    '    static_configs:',
    `      - targets: [${loopback(WATCH_PORTS.nodeExporter)}]`,
    `  - job_name: ${WATCH_JOBS.prometheus}`,
    '    static_configs:',
    `      - targets: [${loopback(WATCH_PORTS.prometheus)}]`,
    `  - job_name: ${WATCH_JOBS.alertmanager}`,
    '    static_configs:',
    `      - targets: [${loopback(WATCH_PORTS.alertmanager)}]`,
  ];
  if (input.peers.length) {
    lines.push(`  - job_name: ${WATCH_JOBS.peerNode}`, '    static_configs:');
    for (const p of input.peers) {
      lines.push(`      - targets: [${q(hostPort(p.address, WATCH_PORTS.nodeExporter))}]`, '        labels:', `          peer: ${q(p.name)}`, `          peer_id: ${q(p.serverId)}`);
    }
    // A peer's product signals (backups, deploys, containers) are its own Alertmanager's to report: here they would
    // fire the same alerts a second time, named after this server.
    lines.push('    metric_relabel_configs:', '      - source_labels: [__name__]', "        regex: 'openpanel_.*'", '        action: drop');
  }
  if (input.probes.length) {
    lines.push(`  - job_name: ${WATCH_JOBS.probe}`, '    metrics_path: /probe', '    static_configs:');
    input.probes.forEach((p, i) => {
      const url = p.tls ? `https://127.0.0.1:${input.proxyPorts.https}/` : `http://127.0.0.1:${input.proxyPorts.http}/`;
      lines.push(`      - targets: [${q(url)}]`, '        labels:', `          domain: ${q(p.host)}`, `          app: ${q(p.appName)}`, `          __param_module: ${q(probeModule(i))}`);
    });
    lines.push(
      '    relabel_configs:',
      '      - source_labels: [__address__]',
      '        target_label: __param_target',
      '      - source_labels: [domain]',
      '        target_label: instance',
      '      - target_label: __address__',
      `        replacement: ${loopback(WATCH_PORTS.blackbox)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Answers that mean "the app is there": 2xx, redirects, and auth/not-found pages of a running app. */
const VALID_STATUS = [200, 201, 202, 203, 204, 206, 301, 302, 303, 304, 307, 308, 401, 403, 404];

export function blackboxYaml(probes: readonly ProbeTarget[], timeoutSeconds: number): string {
  const lines = ['modules:'];
  probes.forEach((p, i) => {
    lines.push(
      `  ${probeModule(i)}:`,
      '    prober: http',
      `    timeout: ${Math.max(1, Math.min(10, timeoutSeconds))}s`,
      '    http:',
      '      method: GET',
      '      preferred_ip_protocol: ip4',
      '      no_follow_redirects: true',
      `      valid_status_codes: [${VALID_STATUS.join(', ')}]`,
      '      headers:',
      `        Host: ${q(p.host)}`,
    );
    if (p.tls) lines.push('      fail_if_not_ssl: true', '      tls_config:', `        server_name: ${q(p.host)}`, `        insecure_skip_verify: ${p.internal}`);
  });
  // blackbox refuses an empty module map: one module that nothing uses.
  if (!probes.length) lines.push('  op_none:', '    prober: tcp', '    timeout: 1s');
  return `${lines.join('\n')}\n`;
}

/** Alertmanager's config until alerting configures channels: every alert goes nowhere (the API still lists them). */
export function defaultAlertmanagerYaml(): string {
  return [
    'route:',
    '  receiver: "null"',
    '  group_by: [alertname, server]',
    '  group_wait: 5s',
    '  group_interval: 30s',
    '  repeat_interval: 4h',
    'receivers:',
    '  - name: "null"',
    '',
  ].join('\n');
}
