import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function proxyRoutes(os: Os, services: AppServices) {
  const { proxy, settings } = services.ship;
  return {
    settings: os.proxy.settings.handler(({ input }) => settings.get(input.serverId)),
    updateSettings: os.proxy.updateSettings.handler(({ input }) => settings.update(input.serverId, input.settings, input.dnsEnv)),
    status: os.proxy.status.handler(({ input }) => proxy.status(input.serverId)),
    install: os.proxy.install.handler(({ input }) => proxy.install(input.serverId)),
    upgrade: os.proxy.upgrade.handler(({ input }) => proxy.upgrade(input.serverId, input.image)),
    restart: os.proxy.restart.handler(({ input }) => proxy.restart(input.serverId)),
    certificates: os.proxy.certificates.handler(({ input }) => proxy.certificates(input.serverId)),
    remove: os.proxy.remove.handler(async ({ input }) => ({ removed: await proxy.remove(input.serverId) })),
    logs: os.proxy.logs.handler(async ({ input }) => ({ text: await proxy.logs(input.serverId, input.tail) })),
  };
}
