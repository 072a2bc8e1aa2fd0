import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConversationScope } from '../../../shared/contract/assistant.ts';
import { AppError } from '../core/errors.ts';

/**
 * Where an applied Dockerfile goes. Today: the app's local folder (checkout). When app records exist (deploys),
 * an implementation that stores it in the app's build config plugs in here, chosen by scope kind.
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

export function targetFor(scope: ConversationScope): DockerfileTarget {
  if (scope.kind === 'folder') return new FolderDockerfileTarget(scope.path);
  throw new AppError('INPUT_INVALID', 'conversationId: a Dockerfile is generated for an app folder conversation (pick the app folder first)');
}
