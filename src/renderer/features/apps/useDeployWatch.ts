import { useEffect, useState } from 'react';
import type { Deploy } from '../../../shared/contract/apps.ts';
import { api } from '../../lib/rpc.ts';

/** Follows one deploy (state + log) through apps.watchDeploy; resumes from the last offset after a drop. */
export function useDeployWatch(deployId: string | null): { deploy: Deploy | null; log: string } {
  const [seen, setSeen] = useState<{ id: string; deploy: Deploy | null; log: string } | null>(null);
  useEffect(() => {
    if (!deployId) return;
    const ac = new AbortController();
    let text = '';
    void (async () => {
      for (let attempt = 0; attempt < 100 && !ac.signal.aborted; attempt++) {
        try {
          const it = await api().apps.watchDeploy({ deployId, since: text.length }, { signal: ac.signal });
          for await (const ev of it) {
            if (ev.type === 'state') {
              const d = ev.deploy;
              setSeen((p) => ({ id: deployId, deploy: d, log: p?.id === deployId ? p.log : '' }));
            } else {
              text = text.slice(0, ev.from) + ev.data;
              const t = text;
              setSeen((p) => ({ id: deployId, deploy: p?.id === deployId ? p.deploy : null, log: t }));
            }
          }
          return;
        } catch {
          if (ac.signal.aborted) return;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
    return () => ac.abort();
  }, [deployId]);
  return seen && seen.id === deployId ? { deploy: seen.deploy, log: seen.log } : { deploy: null, log: '' };
}
