import type { WatchThresholds } from '../../../shared/contract/watch.ts';
import { AppError } from '../core/errors.ts';
import { METRICS as M, RULE_GROUP, WATCH_JOBS } from './names.ts';

export interface RuleSpec {
  alert: string;
  expr: string;
  for?: string;
  severity: 'critical' | 'warning' | 'info' | 'none';
  summary: string;
}

/** Filesystems worth alerting on (not pseudo or container layers). */
const FS = `job="${WATCH_JOBS.node}",fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|autofs|proc|sysfs|fuse\\\\..*",mountpoint!~"/run($|/.*)|/var/lib/docker/.+|/boot/efi"`;
const NODE = `job="${WATCH_JOBS.node}"`;
const BACKUP_BY = 'job_id, job_name, database';

const seconds = (s: number) => `${Math.round(s)}s`;

/**
 * The alert rules of a server, from its thresholds. Every alert carries `severity` and `server`, and a summary
 * naming the server and what is wrong (container, job, app, domain, peer) with the reason.
 */
export function alertRules(t: WatchThresholds): RuleSpec[] {
  const pending = t.pendingSeconds > 0 ? seconds(t.pendingSeconds) : undefined;
  const window = `${t.restartWindowMinutes}m`;
  const withFor = (r: Omit<RuleSpec, 'for'>): RuleSpec => (pending ? { ...r, for: pending } : r);
  return [
    { alert: 'Watchdog', expr: 'vector(1)', severity: 'none', summary: 'Watch on {{ $labels.server }} is running (this alert always fires; its absence means the watcher is down)' },
    withFor({
      alert: 'ServerDown',
      // One rule for the server's own exporter and its peers' (two rules with the same labels would be duplicates).
      expr: `up{${NODE}} == 0 or up{job="${WATCH_JOBS.peerNode}"} == 0`,
      severity: 'critical',
      summary: '{{ if $labels.peer }}Server {{ $labels.peer }} is down: {{ $labels.server }} cannot reach it at {{ $labels.instance }}{{ else }}Server {{ $labels.server }}: its node-exporter does not answer{{ end }}',
    }),
    withFor({
      alert: 'DiskFull',
      expr: `100 * (1 - node_filesystem_avail_bytes{${FS}} / node_filesystem_size_bytes{${FS}}) > ${t.diskPercent}`,
      severity: 'critical',
      summary: `Server {{ $labels.server }}: disk {{ $labels.mountpoint }} is {{ printf "%.0f" $value }}% full (threshold ${t.diskPercent}%)`,
    }),
    {
      alert: 'DiskFillingUp',
      expr: `predict_linear(node_filesystem_avail_bytes{${FS}}[6h], ${t.diskFillHours * 3600}) < 0 and node_filesystem_avail_bytes{${FS}} / node_filesystem_size_bytes{${FS}} < 0.5`,
      for: '30m',
      severity: 'warning',
      summary: `Server {{ $labels.server }}: disk {{ $labels.mountpoint }} will be full within ${t.diskFillHours} h at the current rate`,
    },
    withFor({
      alert: 'MemoryHigh',
      expr: `100 * (1 - node_memory_MemAvailable_bytes{${NODE}} / node_memory_MemTotal_bytes{${NODE}}) > ${t.memoryPercent}`,
      severity: 'warning',
      summary: `Server {{ $labels.server }}: memory {{ printf "%.0f" $value }}% used (threshold ${t.memoryPercent}%)`,
    }),
    withFor({
      alert: 'LoadHigh',
      expr: `node_load5{${NODE}} / on(instance) count by (instance) (node_cpu_seconds_total{${NODE},mode="idle"}) > ${t.loadPerCpu}`,
      severity: 'warning',
      summary: `Server {{ $labels.server }}: load {{ printf "%.2f" $value }} per CPU (threshold ${t.loadPerCpu})`,
    }),
    {
      alert: 'ContainerRestartLoop',
      // increase() takes a new container's first sample as its baseline, so a loop that began before the collector
      // first saw it waited for `restarts` more; also fire once two restarts were seen and Docker counts `restarts`.
      expr:
        `increase(${M.containerRestartCount}[${window}]) >= ${t.restarts}` +
        ` or (max_over_time(${M.containerRestartCount}[${window}]) - min_over_time(${M.containerRestartCount}[${window}]) >= 2 and ${M.containerRestartCount} >= ${t.restarts})`,
      severity: 'critical',
      summary: `Server {{ $labels.server }}: container {{ $labels.container }} restarted {{ printf "%.0f" $value }} times in ${t.restartWindowMinutes} min (crash loop)`,
    },
    withFor({
      alert: 'ContainerUnhealthy',
      expr: `${M.containerHealth}{status="unhealthy"} == 1`,
      severity: 'warning',
      summary: 'Server {{ $labels.server }}: container {{ $labels.container }} is unhealthy (its health check fails)',
    }),
    {
      alert: 'BackupFailed',
      expr: `(${M.backupLastFailureInfo} == 1 and on(job_id) ${M.backupLastRunSuccess} == 0) or (${M.backupLastRunSuccess} == 0 unless on(job_id) ${M.backupLastFailureInfo})`,
      severity: 'critical',
      summary: 'Server {{ $labels.server }}: backup {{ $labels.job_name }} ({{ $labels.database }}) failed: {{ $labels.reason }}',
    },
    {
      alert: 'BackupMissed',
      expr:
        `(time() - (max by (${BACKUP_BY}) (${M.backupLastSuccess} > 0) or max by (${BACKUP_BY}) (${M.backupScheduledSince})))` +
        ` > on(${BACKUP_BY}) ${t.backupMissedFactor} * max by (${BACKUP_BY}) (${M.backupScheduleInterval})`,
      severity: 'critical',
      summary: `Server {{ $labels.server }}: backup {{ $labels.job_name }} ({{ $labels.database }}) missed: no success for {{ $value | humanizeDuration }} (more than ${t.backupMissedFactor} x its interval)`,
    },
    {
      alert: 'DeployFailed',
      expr: `(${M.deployLastFailureInfo} == 1 and on(app_id) ${M.deployLastSuccess} == 0) or (${M.deployLastSuccess} == 0 unless on(app_id) ${M.deployLastFailureInfo})`,
      severity: 'warning',
      summary: 'Server {{ $labels.server }}: deploy of {{ $labels.app_name }} failed: {{ $labels.reason }}',
    },
    withFor({
      alert: 'ProbeFailed',
      expr: `probe_success{job="${WATCH_JOBS.probe}"} == 0`,
      severity: 'critical',
      summary: 'Server {{ $labels.server }}: {{ $labels.domain }} (app {{ $labels.app }}) does not answer through the proxy',
    }),
    {
      alert: 'CertificateExpiring',
      expr: `probe_ssl_earliest_cert_expiry{job="${WATCH_JOBS.probe}"} - time() < ${t.certificateDays * 86400}`,
      severity: 'warning',
      summary: `Server {{ $labels.server }}: the certificate of {{ $labels.domain }} expires in {{ $value | humanizeDuration }} (threshold ${t.certificateDays} days)`,
    },
  ];
}

/** A label value or annotation kept literal in Prometheus' templates (server names cannot hold braces; checked anyway). */
function literal(value: string, field: string): string {
  if (/[{}\r\n]/.test(value)) throw new AppError('INPUT_INVALID', `${field}: expected no braces or line breaks, got ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

/** JSON strings are YAML scalars: every value goes through this, never spliced raw. */
const q = (s: string) => JSON.stringify(s);

/** The rules file (YAML) of a server. */
export function rulesYaml(t: WatchThresholds, serverName: string): string {
  const server = literal(serverName, 'server name');
  const lines = ['groups:', `  - name: ${RULE_GROUP}`, '    rules:'];
  for (const r of alertRules(t)) {
    lines.push(`      - alert: ${r.alert}`, `        expr: ${q(r.expr)}`);
    if (r.for) lines.push(`        for: ${r.for}`);
    lines.push('        labels:', `          severity: ${r.severity}`, `          server: ${q(server)}`);
    lines.push('        annotations:', `          summary: ${q(r.summary.replaceAll('{{ $labels.server }}', server))}`);
  }
  return `${lines.join('\n')}\n`;
}
