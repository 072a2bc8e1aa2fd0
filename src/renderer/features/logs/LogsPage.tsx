import { LogsPicker } from './LogsPicker.tsx';
import { LogView } from './LogView.tsx';
import { parseLogsParams, useHashQuery } from './params.ts';

/** `#/logs?server=<id>&containers=<id,id>[&tail=<n|all>][&since=<ms>]`, or a picker when the URL names none. */
export function LogsPage() {
  const params = parseLogsParams(useHashQuery());
  return (
    <section className="logs-page">
      {params ? (
        <>
          <div className="row">
            <a href="#/logs" className="button-link">
              ← Pick containers
            </a>
          </div>
          <LogView params={params} />
        </>
      ) : (
        <LogsPicker />
      )}
    </section>
  );
}
