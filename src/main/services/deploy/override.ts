import type { StoredConfig } from './store.ts';

/**
 * The app's Dockerfile override (kept with the app in SQLite, e.g. applied from the assistant): the job writes it
 * into the fetched build context, at the app's Dockerfile path, just before `docker build`. Part of JOB_SCRIPT
 * (POSIX sh; values arrive in OP_* variables, never spliced into the text).
 */
export const OVERRIDE_STEP = String.raw`
if [ -n "$OP_DOCKERFILE_OVERRIDE" ]; then
  mkdir -p "$(dirname "$SRC/$OP_DOCKERFILE")" || fail "cannot create the folder of $OP_DOCKERFILE"
  printf '%s\n' "$OP_DOCKERFILE_OVERRIDE" > "$SRC/$OP_DOCKERFILE" || fail "cannot write the Dockerfile override"
  echo "using the app's Dockerfile override as $OP_DOCKERFILE (not from the repository)"
fi
if [ -n "$OP_DOCKERIGNORE_OVERRIDE" ]; then
  printf '%s\n' "$OP_DOCKERIGNORE_OVERRIDE" > "$SRC/.dockerignore" || fail "cannot write the .dockerignore override"
  echo "using the app's .dockerignore override"
fi
OP_DOCKERFILE_OVERRIDE=; OP_DOCKERIGNORE_OVERRIDE=
`;

export const OVERRIDE_VARS = ['OP_DOCKERFILE_OVERRIDE', 'OP_DOCKERIGNORE_OVERRIDE'] as const;

/** The override's job variables: empty when the app builds with the repository's own files. */
export function overrideVars(app: StoredConfig): Record<(typeof OVERRIDE_VARS)[number], string> {
  const o = app.dockerfileOverride ?? null;
  return { OP_DOCKERFILE_OVERRIDE: o?.dockerfile ?? '', OP_DOCKERIGNORE_OVERRIDE: o?.dockerignore ?? '' };
}
