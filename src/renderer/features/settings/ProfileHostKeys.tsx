import type { ImportPlanItem } from '../../../shared/contract/profiles.ts';

export interface PinConfirmation {
  ref: string;
  keyType: string;
  fingerprint: string;
}

export const pinKey = (c: PinConfirmation): string => JSON.stringify([c.ref, c.keyType, c.fingerprint]);

/** Whether the passphrase authenticated the file; without that, what trusting its host keys means. */
export function ProfileTrustNote({ authenticated }: { authenticated: boolean }) {
  if (authenticated) {
    return (
      <p className="small" data-testid="profile-trust" data-authenticated="true">
        Verified: the passphrase proves this file is unchanged since it was exported, so its host keys are trusted as exported.
      </p>
    );
  }
  return (
    <p className="small field-error" data-testid="profile-trust" data-authenticated="false">
      Not verified: this file is not sealed with a passphrase (or is in the old format), so anyone who handled it could have changed its addresses or host keys. Compare each fingerprint with the server’s own (
      <code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code>) before trusting it. Keys you leave unchecked are asked about when the server first connects.
    </p>
  );
}

/** The host keys of one server from an unauthenticated profile, each with its fingerprint and its own confirmation. */
export function ProfileHostKeys({ item, confirmed, onToggle }: { item: ImportPlanItem; confirmed: ReadonlyMap<string, PinConfirmation>; onToggle: (c: PinConfirmation, on: boolean) => void }) {
  if (!item.hostKeysToConfirm.length) return null;
  return (
    <div data-testid="pins-to-confirm" data-ref={item.ref}>
      {item.hostKeysToConfirm.map((k) => {
        const c = { ref: item.ref, keyType: k.keyType, fingerprint: k.fingerprint };
        return (
          <label key={pinKey(c)} className="row" style={{ gap: 6, marginTop: 4 }}>
            <input type="checkbox" checked={confirmed.has(pinKey(c))} onChange={(e) => onToggle(c, e.target.checked)} aria-label={`Trust the ${k.keyType} key of ${item.name}`} />
            <span>Trust {k.keyType}</span>
            <code className="fingerprint" data-testid="pin-fingerprint" style={{ padding: '2px 6px' }}>
              {k.fingerprint}
            </code>
          </label>
        );
      })}
    </div>
  );
}
