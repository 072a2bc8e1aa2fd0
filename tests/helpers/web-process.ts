import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import { WebSocket } from 'ws';
import type { Contract } from '../../src/shared/contract/index.ts';

const ROOT = join(import.meta.dirname, '../..');

export interface WebProcess {
  url: string;
  port: number;
  token: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  client(): Promise<{ client: ContractRouterClient<Contract>; close(): void }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built CLI (`openpanel web`) as its own process, exactly as a user would. */
export async function startWebProcess(opts: { dataDir?: string; env?: NodeJS.ProcessEnv; args?: string[]; bin?: string } = {}): Promise<WebProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'openpanel-web-'));
  const child = spawn(process.execPath, [opts.bin ?? join(ROOT, 'bin/openpanel.mjs'), 'web', '--data-dir', dataDir, ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`openpanel web did not print its URL within 20 s:\n${out}`)), 20_000);
    const check = () => {
      const m = /Open: (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openpanel web exited with ${code}:\n${out}`));
    });
  });
  const parsed = new URL(url);
  const token = /token=([^&]+)/.exec(parsed.hash)![1]!;
  const port = Number(parsed.port);
  return {
    url,
    port,
    token,
    dataDir,
    child,
    output: () => out,
    async client() {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${token}`);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return { client: createORPCClient(new RPCLink({ websocket: ws as never })), close: () => ws.close() };
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      const code = await exited;
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
