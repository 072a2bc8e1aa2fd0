import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCH_PACKAGES } from '../helpers/watch-standins.ts';
import { debianImage } from '../testbed/images.ts';
import { WatchThresholds } from '../../src/shared/contract/watch.ts';
import { rulesYaml } from '../../src/main/services/watch/rules.ts';

/**
 * ContainerRestartLoop as Prometheus evaluates it: promtool (2.42, from the stand-in image's Debian packages)
 * runs the shipped rules over restart counts sampled every 10 s (the shipped collector interval).
 */
describe('ContainerRestartLoop under promtool', () => {
  let dir: string;
  let promtool: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'op-restart-rule-'));
    const { tarball } = await debianImage({ packages: WATCH_PACKAGES });
    execFileSync('tar', ['-xf', tarball, '-C', dir, './usr/bin/promtool']);
    promtool = join(dir, 'usr/bin/promtool');
  }, 600_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  const alert = (container: string, value: number) =>
    `          - exp_labels: { severity: critical, server: web, container: ${container}, app: shop }\n` +
    `            exp_annotations: { summary: "Server web: container ${container} restarted ${value} times in 15 min (crash loop)" }`;
  const at = (time: string, ...alerts: string[]) =>
    [`      - eval_time: ${time}`, '        alertname: ContainerRestartLoop', alerts.length ? ['        exp_alerts:', ...alerts].join('\n') : '        exp_alerts: []'].join('\n');

  const run = (series: [container: string, values: string][], cases: string[]) => {
    writeFileSync(join(dir, 'rules.yml'), rulesYaml(WatchThresholds.parse({}), 'web'));
    const input = series.map(([c, v]) => `      - series: 'openpanel_container_restart_count{container="${c}",app="shop"}'\n        values: '${v}'`);
    const test = ['rule_files: [rules.yml]', 'evaluation_interval: 10s', 'tests:', '  - interval: 10s', '    input_series:', ...input, '    alert_rule_test:', ...cases].join('\n');
    writeFileSync(join(dir, 'test.yml'), `${test}\n`);
    try {
      execFileSync(promtool, ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      return 'SUCCESS';
    } catch (e) {
      const out = e as { stdout?: string; stderr?: string };
      return `${out.stdout ?? ''}${out.stderr ?? String(e)}`;
    }
  };

  // A crash loop first seen at 6 restarts (Docker's back-off: 0.1 s, 0.2 s, … doubling), then +1 at 10 s and at 30 s.
  const crashy: [string, string] = ['crashy', '6 7 7 8 8 8 9x100'];
  // An old container restarting once (at 610 s): not a loop.
  const once: [string, string] = ['once', '4x60 5x60'];
  // Restarted 3 times long ago, none seen since.
  const old: [string, string] = ['old', '3x120'];
  // Two restarts seen (310 s, 620 s), 3 in its life: a loop by the shipped threshold (3 restarts in the window).
  const flaky: [string, string] = ['flaky', '1x30 2x30 3x60'];

  it('fires at the second restart seen, never for a single restart or an old count', () => {
    expect(run([crashy, once, old], [at('0s'), at('20s'), at('30s', alert('crashy', 2))])).toBe('SUCCESS');
    expect(run([once, old, flaky], [at('300s'), at('610s'), at('620s', alert('flaky', 2)), at('1300s')])).toBe('SUCCESS');
  });

  it('positive control: promtool fails a wrong expectation (a single restart that fired would be caught)', () => {
    expect(run([once], [at('620s', alert('once', 1))])).toMatch(/FAILED/);
  });
});
