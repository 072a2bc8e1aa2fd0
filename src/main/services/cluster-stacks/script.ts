import { assemble, LIB_PARTS } from '../deploy/shell-lib.ts';
import STACK_JOB_SH from './stack-job.sh?raw';
import STACK_RM_SH from './stack-rm.sh?raw';

/** The deploy job of a stack (stack-job.sh with the deploy scripts' shell library), run by `sh -c` in the builder. */
export const STACK_JOB_SCRIPT = assemble(STACK_JOB_SH, LIB_PARTS);
/** `docker stack rm`, then waits for its services and networks to go (stack-rm.sh). */
export const STACK_RM_SCRIPT = STACK_RM_SH;

/** Every variable the job script reads (all set: it runs with set -u). */
export const STACK_VARS = ['OP_JOB_ID', 'OP_JOB_DIR', 'OP_KIND', 'OP_STACK', 'OP_IMAGE', 'OP_DATA_DIR', 'OP_WAIT', 'OP_RESULT_CONFIG'] as const;
export type StackVars = Record<(typeof STACK_VARS)[number], string>;
