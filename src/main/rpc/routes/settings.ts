import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function settingsRoutes(os: Os, services: AppServices) {
  return {
    get: os.settings.get.handler(() => services.settings.get()),
    update: os.settings.update.handler(({ input }) => services.settings.update(input)),
  };
}
