import { implement } from '@orpc/server';
import { contract } from '../../shared/contract/index.ts';
import type { RpcContext } from './handler-options.ts';

export function createOs() {
  return implement(contract).$context<RpcContext>();
}

/** The contract implementer every routes/<domain>.ts receives. */
export type Os = ReturnType<typeof createOs>;
