import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function alertingRoutes(os: Os, services: AppServices) {
  const s = services.alerting;
  return {
    channels: os.alerting.channels.handler(() => s.channels()),
    createChannel: os.alerting.createChannel.handler(({ input }) => s.createChannel(input)),
    updateChannel: os.alerting.updateChannel.handler(({ input }) => s.updateChannel(input)),
    removeChannel: os.alerting.removeChannel.handler(({ input }) => s.removeChannel(input.id)),
    testChannel: os.alerting.testChannel.handler(({ input }) => s.testChannel(input.id, input.serverId)),
    channelStatus: os.alerting.channelStatus.handler(({ input }) => s.channelStatus(input.serverId)),
    serverChannels: os.alerting.serverChannels.handler(({ input }) => s.serverChannels(input.serverId)),
    setServerChannels: os.alerting.setServerChannels.handler(({ input }) => s.setServerChannels(input.serverId, input.channelIds)),
    settings: os.alerting.settings.handler(() => s.settings()),
    updateSettings: os.alerting.updateSettings.handler(({ input }) => s.updateSettings(input)),
    silences: os.alerting.silences.handler(({ input }) => s.silences(input.serverId)),
    createSilence: os.alerting.createSilence.handler(({ input }) => s.createSilence(input)),
    expireSilence: os.alerting.expireSilence.handler(({ input }) => s.expireSilence(input.serverId, input.id)),
    alerts: os.alerting.alerts.handler(({ input }) => s.alerts(input.serverId)),
    history: os.alerting.history.handler(({ input }) => s.history(input.serverId, input.since, input.until)),
    missed: os.alerting.missed.handler(() => s.missed()),
    markSeen: os.alerting.markSeen.handler(({ input }) => s.markSeen(input.serverId, input.at)),
  };
}
