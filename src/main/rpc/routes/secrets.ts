import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function secretsRoutes(os: Os, services: AppServices) {
  return {
    status: os.secrets.status.handler(() => services.secrets.status()),
    createVault: os.secrets.createVault.handler(({ input }) => services.secrets.createVault(input.passphrase)),
    unlockVault: os.secrets.unlockVault.handler(({ input }) => services.secrets.unlockVault(input.passphrase)),
    store: os.secrets.store.handler(({ input }) => services.secrets.put(input.label, input.kind, input.value)),
    list: os.secrets.list.handler(() => services.secrets.list()),
    remove: os.secrets.remove.handler(async ({ input }) => ({ removed: await services.secrets.remove(input.ref) })),
  };
}
