import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { WatchSettings, WatchSettingsPatch } from '../../../shared/contract/watch.ts';
import { useUi } from '../../app/store.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';

type Group = keyof WatchSettings;
interface Field {
  group: Group;
  key: string;
  label: string;
  unit: string;
  step?: number;
}

const FIELDS: Field[] = [
  { group: 'thresholds', key: 'diskPercent', label: 'Disk full above', unit: '%' },
  { group: 'thresholds', key: 'diskFillHours', label: 'Disk predicted full within', unit: 'hours' },
  { group: 'thresholds', key: 'memoryPercent', label: 'Memory used above', unit: '%' },
  { group: 'thresholds', key: 'loadPerCpu', label: 'Load (5 min) per CPU above', unit: '', step: 0.1 },
  { group: 'thresholds', key: 'restarts', label: 'Restart loop: restarts', unit: '' },
  { group: 'thresholds', key: 'restartWindowMinutes', label: '… within', unit: 'minutes' },
  { group: 'thresholds', key: 'certificateDays', label: 'Certificate expiring within', unit: 'days' },
  { group: 'thresholds', key: 'backupMissedFactor', label: 'Backup missed after', unit: '× its interval', step: 0.1 },
  { group: 'thresholds', key: 'pendingSeconds', label: 'Condition holds for', unit: 'seconds' },
  { group: 'intervals', key: 'scrapeSeconds', label: 'Scrape every', unit: 'seconds' },
  { group: 'intervals', key: 'evaluateSeconds', label: 'Evaluate rules every', unit: 'seconds' },
  { group: 'intervals', key: 'collectorSeconds', label: 'Container check every', unit: 'seconds' },
  { group: 'retention', key: 'days', label: 'Keep history for', unit: 'days' },
  { group: 'retention', key: 'sizeMb', label: 'Keep history up to', unit: 'MB' },
];

const GROUP_TITLE: Record<Group, string> = { thresholds: 'Alert thresholds', intervals: 'Intervals', retention: 'History' };

const current = (s: WatchSettings, f: Field) => String((s[f.group] as Record<string, number>)[f.key]);

/** Thresholds, intervals and retention of one server; errors shown under the field the API names. */
export function ThresholdsForm({ serverId, settings }: { serverId: string; settings: WatchSettings }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(FIELDS.map((f) => [`${f.group}.${f.key}`, current(settings, f)])));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => {
      const patch: Record<string, Record<string, number>> = {};
      for (const f of FIELDS) {
        const text = values[`${f.group}.${f.key}`] ?? '';
        if (text === current(settings, f)) continue;
        (patch[f.group] ??= {})[f.key] = text.trim() === '' ? Number.NaN : Number(text);
      }
      return api().watch.setSettings({ serverId, patch: patch as WatchSettingsPatch });
    },
    onSuccess: () => {
      setErrors({});
      toast({ kind: 'success', title: 'Watch settings saved', detail: 'The rules were rewritten and Prometheus reloaded where Watch runs.' });
      void qc.invalidateQueries({ queryKey: orpc.watch.key() });
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const groups = [...new Set(FIELDS.map((f) => f.group))];
  return (
    <form
      className="card"
      data-testid="watch-settings"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {groups.map((g) => (
        <fieldset key={g} className="form" style={{ border: 0, padding: 0, marginBottom: 12 }}>
          <legend>
            <h2 style={{ margin: 0 }}>{GROUP_TITLE[g]}</h2>
          </legend>
          {FIELDS.filter((f) => f.group === g).map((f) => {
            const id = `watch-${f.group}-${f.key}`;
            const err = errors[`patch.${f.group}.${f.key}`];
            return (
              <div key={id} style={{ display: 'contents' }}>
                <label htmlFor={id}>{f.label}</label>
                <span className="row">
                  <input
                    id={id}
                    type="number"
                    step={f.step ?? 1}
                    value={values[`${f.group}.${f.key}`] ?? ''}
                    onChange={(e) => setValues((v) => ({ ...v, [`${f.group}.${f.key}`]: e.target.value }))}
                    aria-invalid={err ? true : undefined}
                    aria-describedby={err ? `${id}-error` : undefined}
                    data-field={`${f.group}.${f.key}`}
                    style={{ width: 110 }}
                  />
                  <span className="muted small">{f.unit}</span>
                </span>
                {err && (
                  <span className="field-error" role="alert" id={`${id}-error`}>
                    {err}
                  </span>
                )}
              </div>
            );
          })}
        </fieldset>
      ))}
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      <button className="primary" type="submit" disabled={save.isPending} data-testid="watch-settings-save">
        {save.isPending ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}
