import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function profilesRoutes(os: Os, services: AppServices) {
  return {
    export: os.profiles.export.handler(({ input }) => services.profiles.export(input.serverIds, input.passphrase)),
    preview: os.profiles.preview.handler(({ input }) => services.profiles.preview(input.content, input.passphrase)),
    previewBackupKeys: os.profiles.previewBackupKeys.handler(({ input }) => services.profiles.previewBackupKeys(input.content, input.passphrase)),
    import: os.profiles.import.handler(({ input }) => services.profiles.import(input.content, input.passphrase, input.actions, input.confirmHostKeys, input.installBackupKeys)),
  };
}
