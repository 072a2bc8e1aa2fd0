import type { ProfileBackupKey } from '../../../shared/contract/profiles.ts';

export interface KeyChoice {
  index: number;
  replace?: string;
}

/**
 * The backup keys a sealed profile carries. A key equal to the local target's needs nothing; a different one is
 * installed only when ticked, after both public keys are shown; one without a local target waits for that target.
 */
export function ProfileBackupKeys({ keys, chosen, onToggle }: { keys: ProfileBackupKey[]; chosen: ReadonlyMap<number, KeyChoice>; onToggle(c: KeyChoice, on: boolean): void }) {
  if (keys.length === 0) return null;
  return (
    <div data-testid="profile-backup-keys" style={{ marginTop: 10 }}>
      <h3>Backup keys in this profile</h3>
      <ul>
        {keys.map((k) => (
          <li key={k.index} data-key-index={k.index}>
            <strong>{k.target.name}</strong> <span className="muted small">({k.target.endpoint} bucket {k.target.bucket})</span>
            {!k.match && <div className="muted small">No backup target here uses this bucket: add it on the Backups page, then import again to install its key.</div>}
            {k.match && k.same && <div className="muted small">Same key as the target {k.match.name} here: nothing to install.</div>}
            {k.match && !k.same && (
              <label className="row small" style={{ gap: 6 }}>
                <input type="checkbox" checked={chosen.has(k.index)} onChange={(e) => onToggle({ index: k.index, replace: k.match!.current }, e.target.checked)} />
                <span>
                  Replace the key of {k.match.name}: here <code>{k.match.current}</code>, in the profile <code>{k.recipient}</code> (the current key is kept for older backups)
                </span>
              </label>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
