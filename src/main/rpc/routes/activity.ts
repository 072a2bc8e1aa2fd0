import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function activityRoutes(os: Os, services: AppServices) {
  return {
    list: os.activity.list.handler(({ input }) => services.audit.list(input)),
    watch: os.activity.watch.handler(({ signal }) => services.audit.watch(signal)),
  };
}
