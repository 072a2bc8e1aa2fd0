import { describe, expect, it } from 'vitest';
import { WatchIntervals, WatchThresholds } from '../../../shared/contract/watch.ts';
import { isAppError } from '../core/errors.ts';
import { blackboxYaml, prometheusYaml } from './config.ts';
import { ALERTS } from './names.ts';
import { alertRules, rulesYaml } from './rules.ts';

const defaults = WatchThresholds.parse({});

/** The rules file's entries: alert name → its lines (the YAML is one rule per `- alert:` block). */
function blocks(yaml: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const chunk of yaml.split('      - alert: ').slice(1)) {
    const [name, ...rest] = chunk.trimEnd().split('\n');
    out.set(name!, [...(out.get(name!) ?? []), rest.map((l) => l.trim())]);
  }
  return out;
}

describe('alert rules from thresholds', () => {
  it('has every shipped alert, each with severity, server and a summary naming the server', () => {
    const rules = blocks(rulesYaml(defaults, 'web (prod)'));
    expect([...rules.keys()].sort()).toEqual([...ALERTS].sort());
    for (const [name, list] of rules) {
      for (const lines of list) {
        expect(lines, name).toContain('server: "web (prod)"');
        expect(lines.some((l) => /^severity: (critical|warning|info|none)$/.test(l)), name).toBe(true);
        const summary = lines.find((l) => l.startsWith('summary: '))!;
        expect(JSON.parse(summary.slice('summary: '.length)), name).toMatch(/web \(prod\)/);
      }
    }
    // ServerDown once (promtool refuses duplicates): the server's own exporter, or a peer's (naming the peer)
    expect(rules.get('ServerDown')).toHaveLength(1);
    expect(rules.get('ServerDown')![0]!.join('\n')).toContain('up{job=\\"node\\"} == 0 or up{job=\\"peer-node\\"} == 0');
    expect(rules.get('ServerDown')![0]!.join('\n')).toContain('Server {{ $labels.peer }} is down: web (prod) cannot reach it');
  });

  it('puts the thresholds into the expressions and the pending time into for:', () => {
    const t = WatchThresholds.parse({ diskPercent: 42, memoryPercent: 77, loadPerCpu: 3.5, restarts: 4, restartWindowMinutes: 7, certificateDays: 30, backupMissedFactor: 2, pendingSeconds: 0, diskFillHours: 12 });
    const byName = (n: string) => alertRules(t).filter((r) => r.alert === n);
    expect(byName('DiskFull')[0]!.expr).toMatch(/> 42$/);
    expect(byName('MemoryHigh')[0]!.expr).toMatch(/> 77$/);
    expect(byName('LoadHigh')[0]!.expr).toMatch(/> 3.5$/);
    expect(byName('ContainerRestartLoop')[0]!.expr).toBe(
      'increase(openpanel_container_restart_count[7m]) >= 4 or (max_over_time(openpanel_container_restart_count[7m]) - min_over_time(openpanel_container_restart_count[7m]) >= 2 and openpanel_container_restart_count >= 4)',
    );
    expect(byName('CertificateExpiring')[0]!.expr).toMatch(/< 2592000$/);
    expect(byName('BackupMissed')[0]!.expr).toContain('> on(job_id, job_name, database) 2 * max by');
    expect(byName('DiskFillingUp')[0]!.expr).toContain('[6h], 43200) < 0');
    expect(byName('DiskFull')[0]!.for).toBeUndefined();
    expect(alertRules(defaults).find((r) => r.alert === 'DiskFull')!.for).toBe('60s');
  });

  it('refuses a server name that would be a template, and quotes every value', () => {
    const e = (() => {
      try {
        rulesYaml(defaults, 'x{{ .Foo }}');
      } catch (err) {
        return err;
      }
    })();
    expect(isAppError(e, 'INPUT_INVALID')).toBe(true);
    expect((e as Error).message).toMatch(/^server name: expected no braces/);
  });
});

describe('prometheus.yml and blackbox.yml', () => {
  const intervals = WatchIntervals.parse({ scrapeSeconds: 2, evaluateSeconds: 3 });
  it('labels the server, scrapes peers by address naming them, and probes domains through the local proxy', () => {
    const yaml = prometheusYaml({
      serverName: 'a "quoted" name',
      intervals,
      peers: [{ serverId: 'p1', name: 'db-1', address: '10.0.0.5' }, { serverId: 'p2', name: 'v6', address: 'fd00::5' }],
      probes: [{ host: 'shop.example.com', tls: true, internal: false, appName: 'shop' }],
      proxyPorts: { http: 8080, https: 8443 },
    });
    expect(yaml).toContain('  scrape_interval: 2s\n  scrape_timeout: 2s\n  evaluation_interval: 3s\n');
    expect(yaml).toContain('    server: "a \\"quoted\\" name"\n');
    expect(yaml).toContain('      - targets: ["10.0.0.5:9100"]\n        labels:\n          peer: "db-1"');
    expect(yaml).toContain('[fd00::5]:9100');
    expect(yaml).toContain("    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: 'openpanel_.*'\n        action: drop\n");
    expect(yaml).toContain('      - targets: ["https://127.0.0.1:8443/"]\n        labels:\n          domain: "shop.example.com"\n          app: "shop"\n          __param_module: "op_http_0"');
    expect(yaml).not.toMatch(/0\.0\.0\.0/);
  });

  it('sends the domain as Host and SNI, skipping chain checks only for the internal CA', () => {
    const yaml = blackboxYaml(
      [
        { host: 'a.lan', tls: true, internal: true, appName: 'a' },
        { host: 'b.example.com', tls: true, internal: false, appName: 'b' },
      ],
      5,
    );
    expect(yaml).toContain('  op_http_0:\n');
    expect(yaml).toContain('        Host: "a.lan"\n      fail_if_not_ssl: true\n      tls_config:\n        server_name: "a.lan"\n        insecure_skip_verify: true');
    expect(yaml).toContain('        server_name: "b.example.com"\n        insecure_skip_verify: false');
    expect(blackboxYaml([], 5)).toContain('op_none');
  });
});
