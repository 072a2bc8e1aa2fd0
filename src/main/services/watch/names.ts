/**
 * Names of the Watch stack on a server. Like the label keys, these are state on users' servers (containers,
 * volumes, files made by earlier versions carry them): none may change.
 */

/** The parts of the stack, in start order. */
export const WATCH_PARTS = ['node-exporter', 'blackbox', 'collector', 'alertmanager', 'prometheus'] as const;
export type WatchPart = (typeof WATCH_PARTS)[number];

export const WATCH_CONTAINERS: Record<WatchPart, string> = {
  prometheus: 'openpanel-watch-prometheus',
  alertmanager: 'openpanel-watch-alertmanager',
  'node-exporter': 'openpanel-watch-node-exporter',
  blackbox: 'openpanel-watch-blackbox',
  collector: 'openpanel-watch-collector',
};

/** Loopback ports (host network). The collector listens on none: it writes a textfile. */
export const WATCH_PORTS = {
  prometheus: 9090,
  alertmanager: 9093,
  blackbox: 9115,
  nodeExporter: 9100,
} as const;

export const WATCH_VOLUMES = {
  prometheusData: 'openpanel-watch-prometheus-data',
  alertmanagerData: 'openpanel-watch-alertmanager-data',
  /** Textfile metrics: read-only at TEXTFILE_READ_DIR in node-exporter, read-write at TEXTFILE_WRITE_DIR in writers. */
  textfile: 'openpanel-watch-textfile',
} as const;

export const TEXTFILE_READ_DIR = '/textfile';
export const TEXTFILE_WRITE_DIR = '/openpanel-metrics';

/** Config dir on the server, bind-mounted read-only at /etc/openpanel-watch in Prometheus, Alertmanager and blackbox. */
export const WATCH_CONFIG_DIR = '/var/lib/openpanel/watch';
export const WATCH_CONFIG_MOUNT = '/etc/openpanel-watch';
export const WATCH_FILES = {
  prometheus: 'prometheus.yml',
  rules: 'rules/openpanel.yml',
  alertmanager: 'alertmanager.yml',
  blackbox: 'blackbox.yml',
} as const;

/** The uid the official prom/* images (and the stand-ins) run as: config files holding secrets are owned by it, 0600. */
export const WATCH_UID = 65534;

/** Label on every container of the stack (value '1'), beside the managed label. */
export const WATCH_LABEL = 'openpanel.watch';

/** Prometheus job names of the scrape config (rules and charts select on them). */
export const WATCH_JOBS = {
  node: 'node',
  /** Peers' node-exporters: the `peer` label names the peer server. */
  peerNode: 'peer-node',
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  probe: 'blackbox-http',
} as const;

/** The alert rule group and alert names (the UI, alerting and tests refer to them). */
export const RULE_GROUP = 'openpanel';
export const ALERTS = [
  'ServerDown',
  'DiskFull',
  'DiskFillingUp',
  'MemoryHigh',
  'LoadHigh',
  'ContainerRestartLoop',
  'ContainerUnhealthy',
  'BackupFailed',
  'BackupMissed',
  'DeployFailed',
  'ProbeFailed',
  'CertificateExpiring',
  'Watchdog',
] as const;
export type AlertName = (typeof ALERTS)[number];

/** Textfile metric names written by backups, deploys and the collector (see the design in docs/operate.md). */
export const METRICS = {
  backupLastSuccess: 'openpanel_backup_last_success_timestamp_seconds',
  backupLastFailure: 'openpanel_backup_last_failure_timestamp_seconds',
  backupLastRunSuccess: 'openpanel_backup_last_run_success',
  backupLastDuration: 'openpanel_backup_last_duration_seconds',
  backupLastSize: 'openpanel_backup_last_size_bytes',
  backupLastFailureInfo: 'openpanel_backup_last_failure_info',
  backupScheduleInterval: 'openpanel_backup_schedule_interval_seconds',
  backupScheduledSince: 'openpanel_backup_scheduled_since_timestamp_seconds',
  deployLastSuccess: 'openpanel_deploy_last_success',
  deployLastTimestamp: 'openpanel_deploy_last_timestamp_seconds',
  deployLastDuration: 'openpanel_deploy_last_duration_seconds',
  deployLastFailureInfo: 'openpanel_deploy_last_failure_info',
  containerRestartCount: 'openpanel_container_restart_count',
  containerHealth: 'openpanel_container_health',
  containerRunning: 'openpanel_container_running',
  collectorLastRun: 'openpanel_collector_last_run_timestamp_seconds',
} as const;

/** Textfile names per writer. */
export const TEXTFILES = {
  backup: (jobId: string) => `backup-${jobId}.prom`,
  backupSchedule: (jobId: string) => `backup-schedule-${jobId}.prom`,
  deploy: (appId: string) => `deploy-${appId}.prom`,
  containers: 'containers.prom',
} as const;
