import type { StoredConfig } from './store.ts';

/**
 * The app's Dockerfile override (kept with the app in SQLite, e.g. applied from the assistant): the job (job.sh)
 * writes it into the fetched build context, at the app's Dockerfile path, just before `docker build`.
 */
export const OVERRIDE_VARS = ['OP_DOCKERFILE_OVERRIDE', 'OP_DOCKERIGNORE_OVERRIDE'] as const;

/** The override's job variables: empty when the app builds with the repository's own files. */
export function overrideVars(app: StoredConfig): Record<(typeof OVERRIDE_VARS)[number], string> {
  const o = app.dockerfileOverride ?? null;
  return { OP_DOCKERFILE_OVERRIDE: o?.dockerfile ?? '', OP_DOCKERIGNORE_OVERRIDE: o?.dockerignore ?? '' };
}
