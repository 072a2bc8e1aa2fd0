import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function watchRoutes(os: Os, services: AppServices) {
  const s = services.watch;
  return {
    status: os.watch.status.handler(({ input }) => s.status(input.serverId)),
    turnOn: os.watch.turnOn.handler(({ input, signal }) => s.turnOnStream(input.serverId, signal)),
    turnOff: os.watch.turnOff.handler(({ input }) => s.turnOff(input.serverId, input.removeData)),
    settings: os.watch.settings.handler(({ input }) => s.settings(input.serverId)),
    setSettings: os.watch.setSettings.handler(({ input }) => s.setSettings(input.serverId, input.patch)),
    setPeers: os.watch.setPeers.handler(({ input }) => s.setPeers(input.serverId, input.peerIds)),
    watchEachOther: os.watch.watchEachOther.handler(({ input }) => s.watchEachOther(input.serverIds)),
    resync: os.watch.resync.handler(({ input }) => s.resync(input.serverId)),
  };
}
