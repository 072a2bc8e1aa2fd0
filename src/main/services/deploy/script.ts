import JOB_SH from './job.sh?raw';
import { OVERRIDE_VARS } from './override.ts';
import { assemble, LIB_PARTS } from './shell-lib.ts';

/** The Dockerfile deploy job (job.sh with the shared library), run by `sh -c` in the builder on the server. */
export const JOB_SCRIPT = assemble(JOB_SH, LIB_PARTS);

/** Every variable the script reads; the app sets all of them (empty when unused), since the script runs with set -u. */
export const JOB_VARS = [
  'OP_JOB_ID', 'OP_JOB_DIR', 'OP_KIND', 'OP_APP', 'OP_APP_ID', 'OP_IMAGE', 'OP_CONTAINER', 'OP_NETWORK', 'OP_DATA_NETWORK',
  'OP_UPLOAD', 'OP_DEPLOY_KEY', 'OP_GIT_URL', 'OP_GIT_BRANCH', 'OP_GIT_SSH', 'OP_BASE_IMAGES', 'OP_DOCKERFILE',
  'OP_LABELS', 'OP_APP_ENV', 'OP_MEMORY', 'OP_CPUS', 'OP_RESTART', 'OP_PORT', 'OP_HEALTH_PATH', 'OP_HEALTH_TIMEOUT',
  'OP_PROXY', 'OP_SITE', 'OP_SITE_FILE', 'OP_PROXY_CONTAINER', 'OP_SWITCH_DELAY', 'OP_DRAIN', 'OP_KEEP',
  'OP_DATA_DIR', 'OP_CHECK_HOST', 'OP_PROXY_PORT', 'OP_METRICS_DIR',
  ...OVERRIDE_VARS,
] as const;
export type JobVars = Record<(typeof JOB_VARS)[number], string>;
