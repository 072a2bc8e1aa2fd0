import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConversationScope } from '../../../shared/contract/assistant.ts';
import { AppError } from '../core/errors.ts';
import type { AppAccess } from './app-access.ts';

/**
 * Where an applied Dockerfile goes, chosen by the conversation's scope: an app's build config (a Dockerfile
 * override stored with the app, written into the build context by the next deploy) or a local folder.
 */
export interface DockerfileTarget {
  readonly description: string;
  write(files: { dockerfile: string; dockerignore: string | null }): Promise<string[]>;
}

/** Writes `Dockerfile` and `.dockerignore` into a folder, each atomically (temp file + rename). */
export class FolderDockerfileTarget implements DockerfileTarget {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  get description(): string {
    return join(this.dir, 'Dockerfile');
  }
  async write(files: { dockerfile: string; dockerignore: string | null }): Promise<string[]> {
    const written: string[] = [];
    const put = async (name: string, content: string) => {
      const path = join(this.dir, name);
      const tmp = `${path}.openpanel-${process.pid}.tmp`;
      await writeFile(tmp, content, { mode: 0o644 });
      await rename(tmp, path);
      written.push(path);
    };
    await put('Dockerfile', files.dockerfile);
    if (files.dockerignore !== null) await put('.dockerignore', files.dockerignore);
    return written;
  }
}

/** Stores the files as the app's Dockerfile override (SQLite, with the app; git is not touched). */
export class AppDockerfileTarget implements DockerfileTarget {
  private readonly apps: AppAccess;
  private readonly appId: string;
  constructor(apps: AppAccess, appId: string) {
    this.apps = apps;
    this.appId = appId;
  }
  get description(): string {
    const a = this.apps.app(this.appId);
    return `app ${a.name}: Dockerfile override in its build config (used by the next deploy instead of ${a.dockerfile} from git)`;
  }
  async write(files: { dockerfile: string; dockerignore: string | null }): Promise<string[]> {
    const a = this.apps.app(this.appId);
    await this.apps.setDockerfileOverride(this.appId, { dockerfile: files.dockerfile, dockerignore: files.dockerignore, origin: 'assistant', appliedAt: Date.now() });
    return [`app ${a.name}: ${a.dockerfile} (override)`, ...(files.dockerignore !== null ? [`app ${a.name}: .dockerignore (override)`] : [])];
  }
}

export function targetFor(scope: ConversationScope, apps: AppAccess | null): DockerfileTarget {
  if (scope.kind === 'folder') return new FolderDockerfileTarget(scope.path);
  if (scope.kind === 'app') {
    if (!apps) throw new AppError('INTERNAL', 'apps are not available in this process');
    return new AppDockerfileTarget(apps, scope.appId);
  }
  throw new AppError('INPUT_INVALID', 'conversationId: a Dockerfile is generated in an app conversation (or an app folder conversation)');
}
