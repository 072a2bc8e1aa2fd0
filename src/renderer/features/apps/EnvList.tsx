import { useState, type ReactNode } from 'react';

/** Changes to stored variables (a new value, or null to remove) and new ones, sent as one partial update. */
export interface EnvEdit {
  changes: Record<string, string | null>;
  added: { name: string; value: string }[];
}

export const NO_ENV_EDIT: EnvEdit = { changes: {}, added: [] };

/** The env record an update sends: only what changed (set or unset by name); an empty replacement keeps the value. */
export function envPatch(edit: EnvEdit): Record<string, string | null> {
  const out: Record<string, string | null> = Object.fromEntries(Object.entries(edit.changes).filter(([, v]) => v !== ''));
  for (const a of edit.added) if (a.name.trim() || a.value) out[a.name.trim()] = a.value;
  return out;
}

/**
 * Environment variables by name: stored values are never shown; each row offers "Replace value" and "Remove", and
 * "Add variable" adds a name with its value. Nothing is sent until the form is saved.
 */
export function EnvList({ names, edit, onChange, error, listError }: { names: string[]; edit: EnvEdit; onChange(edit: EnvEdit): void; error(path: string): ReactNode; listError: ReactNode }) {
  const [replacing, setReplacing] = useState<Set<string>>(() => new Set());
  const setChange = (name: string, value: string | null | undefined) => {
    const changes = { ...edit.changes };
    if (value === undefined) delete changes[name];
    else changes[name] = value;
    onChange({ ...edit, changes });
  };
  const setAdded = (i: number, patch: Partial<{ name: string; value: string }>) => onChange({ ...edit, added: edit.added.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  return (
    <fieldset className="field env-list" data-testid="app-env-list">
      <legend>Environment (values go to the keychain and are never shown again)</legend>
      {names.map((n) => {
        const change = edit.changes[n];
        const removed = change === null;
        const open = replacing.has(n) && !removed;
        return (
          <div className="row" key={n} data-testid={`env-row-${n}`}>
            <span className="mono" style={{ minWidth: 140, textDecoration: removed ? 'line-through' : undefined }}>
              {n}
            </span>
            <span className="muted" data-testid={`env-state-${n}`}>
              {removed ? 'removed at save' : change ? 'new value at save' : 'set'}
            </span>
            {open && (
              <input type="password" autoComplete="off" value={change ?? ''} placeholder="new value" aria-label={`New value of ${n}`} data-testid={`env-value-${n}`} onChange={(e) => setChange(n, e.target.value)} autoFocus />
            )}
            {!removed && (
              <button
                type="button"
                data-testid={`env-replace-${n}`}
                onClick={() => {
                  setReplacing((s) => {
                    const next = new Set(s);
                    if (open) next.delete(n);
                    else next.add(n);
                    return next;
                  });
                  if (open) setChange(n, undefined);
                }}
              >
                {open ? 'Keep the current value' : 'Replace value'}
              </button>
            )}
            <button type="button" data-testid={`env-remove-${n}`} onClick={() => setChange(n, removed ? undefined : null)}>
              {removed ? 'Keep' : 'Remove'}
            </button>
            {error(`env.${n}`)}
          </div>
        );
      })}
      {edit.added.map((a, i) => (
        <div className="row" key={`new-${i}`} data-testid="env-new-row">
          <input value={a.name} onChange={(e) => setAdded(i, { name: e.target.value })} placeholder="NAME" aria-label={`Name of new variable ${i + 1}`} data-testid={`env-new-name-${i}`} spellCheck={false} />
          <input type="password" autoComplete="off" value={a.value} onChange={(e) => setAdded(i, { value: e.target.value })} placeholder="value" aria-label={`Value of new variable ${i + 1}`} data-testid={`env-new-value-${i}`} />
          <button type="button" onClick={() => onChange({ ...edit, added: edit.added.filter((_, j) => j !== i) })} aria-label={`Remove new variable ${i + 1}`}>
            Remove
          </button>
          {a.name.trim() && error(`env.${a.name.trim()}`)}
        </div>
      ))}
      <div className="row">
        <button type="button" onClick={() => onChange({ ...edit, added: [...edit.added, { name: '', value: '' }] })} data-testid="env-add">
          Add variable
        </button>
      </div>
      {listError}
    </fieldset>
  );
}
