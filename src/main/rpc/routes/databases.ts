import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function databasesRoutes(os: Os, services: AppServices) {
  const s = services.databases;
  return {
    list: os.databases.list.handler(({ input }) => s.list(input.serverId)),
    get: os.databases.get.handler(({ input }) => s.get(input.id)),
    create: os.databases.create.handler(({ input }) => s.create(input)),
    createOnCluster: os.databases.createOnCluster.handler(({ input }) => s.createOnCluster(input)),
    moveToNode: os.databases.moveToNode.handler(({ input }) => s.moveToNode(input.id, input.serverId)),
    start: os.databases.start.handler(({ input }) => s.action(input.id, 'start')),
    stop: os.databases.stop.handler(({ input }) => s.action(input.id, 'stop')),
    restart: os.databases.restart.handler(({ input }) => s.action(input.id, 'restart')),
    setLimits: os.databases.setLimits.handler(({ input }) => s.setLimits(input.id, input.limits)),
    remove: os.databases.remove.handler(async ({ input, signal }) => {
      const { serverId } = s.row(input.id);
      // The final backup (when asked) runs first; a failed one leaves the database as it is.
      const finalBackups = input.finalBackup ? await services.backups.finalBackup(input.id, signal) : [];
      const removed = await s.remove(input.id, input.removeVolume);
      await services.backups.databaseRemoved(serverId, input.id);
      return { removed, finalBackups };
    }),
    connection: os.databases.connection.handler(({ input }) => s.connection(input.id)),
    openLocal: os.databases.openLocal.handler(({ input }) => s.openLocal(input.id)),
    images: os.databases.images.handler(({ input }) => s.images(input.serverId)),
    setImages: os.databases.setImages.handler(({ input }) => s.setImages(input.serverId, input.images)),
  };
}
