import { renderAlertmanagerConfig } from './render.ts';
import type { AlertingStore } from './store.ts';

/** What the Watch stack writes alertmanager.yml from (W-stack's AlertmanagerConfigSource). */
export interface AlertmanagerConfigSource {
  render(serverId: string): Promise<string>;
}

/** The config of a server from the stored channels, its channel selection, the watchdog URL and the intervals. */
export function alertmanagerConfigSource(store: AlertingStore): AlertmanagerConfigSource {
  return {
    render: async (serverId) =>
      renderAlertmanagerConfig({ channels: await store.forRender(), selected: store.serverChannels(serverId), watchdogUrl: await store.watchdogUrl(), intervals: store.intervals() }),
  };
}
