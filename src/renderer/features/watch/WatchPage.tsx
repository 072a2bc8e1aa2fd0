import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { describeError } from '../../lib/errors.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { AlertsCard } from './AlertsCard.tsx';
import { ChannelsCard } from './ChannelsCard.tsx';
import { PeersCard } from './PeersCard.tsx';
import { SilencesCard } from './SilencesCard.tsx';
import { StackCard } from './StackCard.tsx';
import { ThresholdsForm } from './ThresholdsForm.tsx';
import { WatchdogCard } from './WatchdogCard.tsx';

function serverFromHash(): string | null {
  return /^#\/watch\/([A-Za-z0-9_-]+)/.exec(window.location.hash)?.[1] ?? null;
}

/** Watch per server (`#/watch/<serverId>`): the stack, its thresholds, peers, alerts and mutes; channels and the watchdog for all. */
export function WatchPage() {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [fromHash, setFromHash] = useState<string | null>(serverFromHash);
  useEffect(() => {
    const onHash = () => setFromHash(serverFromHash());
    window.addEventListener('hashchange', onHash);
    // A lazy page renders before this effect runs: a hash change in between would otherwise be missed.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const list = servers.data ?? [];
  const server = list.find((s) => s.id === fromHash) ?? list[0];
  const status = useQuery({ ...orpc.watch.status.queryOptions({ input: { serverId: server?.id ?? '' } }), enabled: !!server, refetchInterval: 10_000, retry: false });
  if (servers.isSuccess && list.length === 0) {
    return (
      <section>
        <h1>Watch</h1>
        <EmptyState title="No servers yet." hint="Watch runs Prometheus and Alertmanager on a server, so it is watched and alerts reach you while OpenPanel is closed. Add a server first." action={<a className="button-link" href="#/servers">Go to Servers</a>} testId="watch-no-servers" />
      </section>
    );
  }
  const on = status.data ? status.data.state !== 'off' : false;
  return (
    <section data-testid="watch-page">
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>Watch</h1>
        <div className="spacer" />
        {list.length > 1 && (
          <label className="row" style={{ gap: 6 }}>
            Server
            <select value={server?.id ?? ''} onChange={(e) => (window.location.hash = `#/watch/${e.target.value}`)} data-testid="watch-server">
              {list.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {server && <p className="muted">{server.name}</p>}
      {status.error && (
        <p className="field-error" role="alert">
          {describeError(status.error).message}
        </p>
      )}
      {server && status.data && (
        <>
          <StackCard status={status.data} />
          {on && <AlertsCard serverId={server.id} serverName={server.name} />}
          {on && <SilencesCard serverId={server.id} />}
          <ChannelsCard serverId={server.id} watchOn={status.data.state === 'on'} />
          <ThresholdsForm key={`${server.id}:${JSON.stringify(status.data.settings)}`} serverId={server.id} settings={status.data.settings} />
          <PeersCard key={`${server.id}:${status.data.peers.map((p) => p.serverId).join(',')}`} status={status.data} />
          <WatchdogCard />
        </>
      )}
    </section>
  );
}
