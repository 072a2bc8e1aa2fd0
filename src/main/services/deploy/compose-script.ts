import BUILT_SERVICES_AWK from './built-services.awk?raw';
import COMPOSE_DOWN_SH from './compose-down.sh?raw';
import COMPOSE_JOB_SH from './compose-job.sh?raw';
import COMPOSE_LIB from './compose-lib.sh?raw';
import { assemble, LIB_PARTS } from './shell-lib.ts';

/** awk program: the services that have a build section, from Compose's normalised `config` output. */
export { BUILT_SERVICES_AWK };

const PARTS = { ...LIB_PARTS, 'compose-lib.sh': COMPOSE_LIB, 'built-services.awk': BUILT_SERVICES_AWK };

/** The deploy job of a Compose app (compose-job.sh), run by `sh -c` in the builder like the Dockerfile job. */
export const COMPOSE_JOB_SCRIPT = assemble(COMPOSE_JOB_SH, PARTS);

/** Removes a stack (compose-down.sh): compose down, its images, kept revisions and proxy site. Exit code = result. */
export const COMPOSE_DOWN_SCRIPT = assemble(COMPOSE_DOWN_SH, PARTS);

/** Every variable the compose scripts read (all set, possibly empty: the scripts run with set -u). */
export const COMPOSE_VARS = [
  'OP_JOB_ID', 'OP_JOB_DIR', 'OP_KIND', 'OP_APP', 'OP_APP_ID', 'OP_IMAGE', 'OP_NETWORK', 'OP_UPLOAD', 'OP_DEPLOY_KEY',
  'OP_GIT_URL', 'OP_GIT_BRANCH', 'OP_BASE_IMAGES', 'OP_LABELS', 'OP_APP_ENV', 'OP_PORT', 'OP_HEALTH_PATH',
  'OP_HEALTH_TIMEOUT', 'OP_PROXY', 'OP_SITE', 'OP_SITE_FILE', 'OP_PROXY_CONTAINER', 'OP_SWITCH_DELAY', 'OP_KEEP',
  'OP_STACK_DIR', 'OP_REVISION', 'OP_PROJECT', 'OP_SERVICE', 'OP_COMPOSE_FILE', 'OP_ROUTE', 'OP_ALIAS',
  'OP_IMAGE_PREFIX', 'OP_VOLUMES', 'OP_DATA_DIR', 'OP_CHECK_HOST', 'OP_PROXY_PORT', 'OP_METRICS_DIR',
] as const;
export type ComposeVars = Record<(typeof COMPOSE_VARS)[number], string>;
