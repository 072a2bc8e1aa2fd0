import type { BackupNotice } from '../../../shared/contract/backups.ts';
import type { AppServices } from '../../app.ts';
import { eventQueue } from '../../services/core/async.ts';
import type { Os } from '../os.ts';

export function backupsRoutes(os: Os, services: AppServices) {
  const s = services.backups;
  return {
    targets: os.backups.targets.handler(() => s.targets()),
    createTarget: os.backups.createTarget.handler(({ input }) => s.createTarget(input)),
    updateTarget: os.backups.updateTarget.handler(({ input }) => s.updateTarget(input)),
    testTarget: os.backups.testTarget.handler(({ input }) => s.testTarget(input)),
    removeTarget: os.backups.removeTarget.handler(({ input }) => s.removeTarget(input.id, input.removeJobs)),
    revealKey: os.backups.revealKey.handler(async ({ input }) => ({ identity: await s.revealKey(input.id) })),
    foreignJobs: os.backups.foreignJobs.handler(({ input }) => s.foreignJobs(input.id)),
    keyInfo: os.backups.keyInfo.handler(({ input }) => s.keys.info(input.id)),
    exportKey: os.backups.exportKey.handler(({ input }) => s.keys.exportFile(input.id, input.passphrase)),
    recoveryText: os.backups.recoveryText.handler(({ input }) => s.keys.recoveryText(input.id)),
    previewKey: os.backups.previewKey.handler(({ input }) => s.keys.preview(input.id, input.content, input.passphrase)),
    importKey: os.backups.importKey.handler(({ input }) => s.keys.install(input.id, input.content, input.passphrase, input.replace)),
    jobs: os.backups.jobs.handler(({ input }) => s.jobs(input.serverId)),
    createJob: os.backups.createJob.handler(({ input }) => s.createJob(input)),
    updateJob: os.backups.updateJob.handler(({ input }) => s.updateJob(input.id, input)),
    removeJob: os.backups.removeJob.handler(async ({ input }) => ({ removed: await s.removeJob(input.id) })),
    status: os.backups.status.handler(({ input }) => s.status(input.serverId)),
    failures: os.backups.failures.handler(() => s.failures()),
    notices: os.backups.notices.handler(({ signal }) => eventQueue<BackupNotice>(s.notices, 'notice', { signal, what: 'backups.notices', initial: s.notices.take() })),
    runNow: os.backups.runNow.handler(async function* ({ input, signal }) {
      yield* s.runNow(input.jobId, signal ?? new AbortController().signal);
    }),
    list: os.backups.list.handler(({ input }) => s.list(input.jobId)),
    remove: os.backups.remove.handler(async ({ input }) => ({ removed: await s.remove(input.jobId, input.key) })),
    download: os.backups.download.handler(({ input }) => s.download(input.jobId, input.key, input.path)),
    restore: os.backups.restore.handler(({ input }) => s.restore(input.jobId, input.key, input.target)),
    verify: os.backups.verify.handler(({ input }) => s.verify(input.jobId, input.key)),
  };
}
