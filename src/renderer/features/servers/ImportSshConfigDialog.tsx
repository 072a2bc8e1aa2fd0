import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Server, SshConfigCandidate } from '../../../shared/contract/servers.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { Dialog } from '../../components/Dialog.tsx';

/** Imports hosts from an OpenSSH client config: jump hosts first, so ProxyJump becomes a link between servers. */
export function ImportSshConfigDialog({ onClose }: { onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [text, setText] = useState('');
  const [candidates, setCandidates] = useState<SshConfigCandidate[] | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [results, setResults] = useState<Record<string, string>>({});

  const parse = async (source: string) => {
    const list = await api().servers.parseSshConfig({ text: source });
    setCandidates(list);
    setSelected(new Set(list.filter((c) => c.suggested).map((c) => c.alias)));
  };
  const readLocal = async () => {
    try {
      const local = await api().servers.readLocalSshConfig();
      setText(local.text);
      await parse(local.text);
    } catch (e) {
      toast({ kind: 'error', title: 'Could not read ~/.ssh/config', detail: describeError(e).message });
    }
  };

  const run = useMutation({
    mutationFn: async () => {
      const chosen = (candidates ?? []).filter((c) => selected.has(c.alias));
      const existing = await api().servers.list();
      const byAlias = new Map<string, Server>(existing.map((s) => [s.name, s]));
      const out: Record<string, string> = {};
      // Jump hosts before the servers behind them.
      const order = [...chosen].sort((a, b) => Number(!!a.proxyJump) - Number(!!b.proxyJump));
      for (const c of order) {
        try {
          const jumpAlias = c.proxyJump?.split(',').at(-1)?.split('@').at(-1)?.split(':')[0];
          const jump = jumpAlias ? byAlias.get(jumpAlias) : undefined;
          if (jumpAlias && !jump) throw new Error(`ProxyJump ${jumpAlias} is not imported`);
          const server = await api().servers.create({
            name: c.alias,
            host: c.host,
            port: c.port,
            username: c.username ?? 'root',
            auth: c.identityFile ? { method: 'key', keyPath: c.identityFile } : { method: 'agent' },
            jumpServerId: jump?.id ?? null,
          });
          byAlias.set(c.alias, server);
          out[c.alias] = 'imported';
        } catch (e) {
          out[c.alias] = describeError(e).message;
        }
      }
      return out;
    },
    onSuccess: (r) => {
      setResults(r);
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
      const n = Object.values(r).filter((v) => v === 'imported').length;
      toast({ kind: n ? 'success' : 'error', title: `${n} server${n === 1 ? '' : 's'} imported` });
    },
  });

  return (
    <Dialog label="Import from SSH config" title="Import from ~/.ssh/config" width={720} onClose={onClose}>
      {!candidates ? (
        <>
          <p className="muted">Paste an OpenSSH client config, or read the one of the user running OpenPanel. Nothing is saved until you import.</p>
          <textarea rows={10} style={{ width: '100%' }} className="mono" value={text} onChange={(e) => setText(e.target.value)} aria-label="SSH config text" placeholder={'Host web-1\n  HostName 203.0.113.10\n  User deploy\n  IdentityFile ~/.ssh/id_ed25519'} />
          <div className="actions">
            <button onClick={onClose}>Cancel</button>
            <button onClick={() => void readLocal()}>Read ~/.ssh/config</button>
            <button className="primary" onClick={() => void parse(text)} disabled={!text.trim()}>
              Preview
            </button>
          </div>
        </>
      ) : (
        <>
          <table className="table" data-testid="import-candidates">
            <thead>
              <tr>
                <th />
                <th>Alias</th>
                <th>Address</th>
                <th>User</th>
                <th>Key</th>
                <th>Jump</th>
                <th>Result</th>
              </tr>
            </thead>
            <tbody>
              {candidates.map((c) => (
                <tr key={c.alias} data-alias={c.alias}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Import ${c.alias}`}
                      checked={selected.has(c.alias)}
                      onChange={(e) => setSelected((s) => (e.target.checked ? new Set([...s, c.alias]) : new Set([...s].filter((x) => x !== c.alias))))}
                    />
                  </td>
                  <td>{c.alias}</td>
                  <td>
                    {c.host}:{c.port}
                  </td>
                  <td>{c.username ?? 'root'}</td>
                  <td className="small mono">
                    {c.identityFile ?? 'agent'}
                    {c.keyNeedsPassphrase && (
                      <span className="badge warn" data-testid="needs-passphrase">
                        needs passphrase
                      </span>
                    )}
                  </td>
                  <td>{c.proxyJump ?? '—'}</td>
                  <td className="small" data-testid="import-note">
                    {results[c.alias] ?? [c.skipReason ? `Not ticked: ${c.skipReason}` : null, ...c.warnings, ...c.problems].filter(Boolean).join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="actions">
            <button onClick={onClose}>Close</button>
            <button className="primary" onClick={() => run.mutate()} disabled={run.isPending || selected.size === 0}>
              Import {selected.size} server{selected.size === 1 ? '' : 's'}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
