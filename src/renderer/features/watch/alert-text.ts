/** Watch's rule names in words (the rules are W-stack's `RULE_GROUP`; an unknown name is shown as it is). */
export const WATCH_ALERT_TITLES: Record<string, string> = {
  ServerDown: 'Server down',
  DiskFull: 'Disk almost full',
  DiskFillingUp: 'Disk filling up',
  MemoryHigh: 'Memory high',
  LoadHigh: 'Load high',
  ContainerRestartLoop: 'Restart loop',
  ContainerUnhealthy: 'Container unhealthy',
  BackupFailed: 'Backup failed',
  BackupMissed: 'Backup missed',
  DeployFailed: 'Deploy failed',
  ProbeFailed: 'Site not answering',
  CertificateExpiring: 'Certificate expiring',
  Watchdog: 'Watchdog',
};

/** Always firing by design (the dead man's switch): never news. */
export const ALWAYS_FIRING = new Set(['Watchdog', 'OpenPanelTest']);

export function alertTitle(name: string): string {
  return WATCH_ALERT_TITLES[name] ?? name;
}

/** Labels that say what the alert is about, in the order they are named. */
const SUBJECT_LABELS: [string, string][] = [
  ['peer', 'peer'],
  ['container', 'container'],
  ['app_name', 'app'],
  ['job_name', 'backup'],
  ['database', 'database'],
  ['domain', 'domain'],
  ['mountpoint', 'disk'],
];

/** "Disk almost full on prod-1 (disk /)": what fired, where, about what; the summary when the API has one. */
export function alertText(name: string, labels: Record<string, string>, serverName: string, summary?: string | null): string {
  if (summary) return summary;
  const subject = SUBJECT_LABELS.filter(([k]) => labels[k]).map(([k, word]) => `${word} ${labels[k]}`);
  return `${alertTitle(name)} on ${labels.server ?? serverName}${subject.length ? ` (${subject.join(', ')})` : ''}`;
}

/** One key per alert (server, rule, labels), to tell a newly firing alert from one already shown. */
export function alertKey(serverId: string, name: string, labels: Record<string, string>): string {
  const rest = Object.entries(labels)
    .filter(([k]) => k !== 'alertstate' && k !== 'alertname')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${serverId}|${name}|${rest}`;
}
