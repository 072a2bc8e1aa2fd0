import { useEffect, useRef, useState } from 'react';
import type { LogsContainer } from '../../../shared/contract/logs.ts';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';
import { LogBuffer } from './buffer.ts';
import type { LogsParams } from './params.ts';

/** Lines kept in the page; older ones are dropped (and counted). */
export const BUFFER_LINES = 200_000;

export interface LogStreamState {
  /** reconnecting: a cluster app's stream lost its manager or connection and is trying again (`error` says why). */
  status: 'connecting' | 'live' | 'reconnecting' | 'ended' | 'error';
  error: string | null;
  containers: LogsContainer[];
  ended: number[];
  /** Restarts the follow went through (each is a marker line in the buffer). */
  restarts: number;
  /** Bumps (at most once per frame) when lines arrived. */
  version: number;
}

/**
 * Follows the logs of `params` into a bounded ring buffer. Each batch is acknowledged once it is in the buffer
 * (the server sends at most ~2 MiB ahead of acks), and React hears about new lines at most once per frame.
 */
export function useLogStream(params: LogsParams): { buffer: LogBuffer; state: LogStreamState } {
  const bufferRef = useRef<LogBuffer | null>(null);
  bufferRef.current ??= new LogBuffer(BUFFER_LINES);
  const buffer = bufferRef.current;
  const [state, setState] = useState<LogStreamState>({ status: 'connecting', error: null, containers: [], ended: [], restarts: 0, version: 0 });
  const key = JSON.stringify(params);

  useEffect(() => {
    const p = JSON.parse(key) as LogsParams;
    const ac = new AbortController();
    const flowId = crypto.randomUUID();
    let frame = 0;
    buffer.clear();
    setState({ status: 'connecting', error: null, containers: [], ended: [], restarts: 0, version: 0 });
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setState((s) => ({ ...s, version: s.version + 1 }));
      });
    };
    void (async () => {
      try {
        const backfill = { ...(p.tail !== undefined ? { tail: p.tail } : {}), ...(p.since !== undefined ? { since: p.since } : {}) };
        const it = p.cluster
          ? await api().logs.followClusterApp({ clusterId: p.cluster.clusterId, name: p.cluster.name, flowId, timestamps: true, ...backfill }, { signal: ac.signal })
          : await api().logs.follow(
              { serverId: p.serverId, containerIds: p.containerIds, flowId, follow: true, timestamps: true, ...backfill, ...(p.also?.length ? { also: p.also } : {}) },
              { signal: ac.signal },
            );
        for await (const batch of it) {
          if (batch.containers) {
            const containers = batch.containers;
            setState((s) => ({ ...s, status: s.status === 'reconnecting' ? s.status : 'live', containers }));
          }
          if (batch.status) {
            const { state, error } = batch.status;
            setState((s) => ({ ...s, status: state, error: state === 'reconnecting' ? `Reconnecting: ${error ?? 'the stream was lost'}` : null }));
          }
          if (batch.lines.length) {
            buffer.push(batch.lines);
            const restarts = batch.lines.filter((l) => l[1] === 2).length;
            if (restarts) setState((s) => ({ ...s, restarts: s.restarts + restarts }));
          }
          if (batch.ended.length) setState((s) => ({ ...s, ended: [...s.ended, ...batch.ended] }));
          void api()
            .logs.ack({ flowId, seq: batch.seq })
            .catch(() => {});
          bump();
        }
        if (!ac.signal.aborted) setState((s) => ({ ...s, status: 'ended', version: s.version + 1 }));
      } catch (e) {
        if (!ac.signal.aborted) setState((s) => ({ ...s, status: 'error', error: describeError(e).message, version: s.version + 1 }));
      }
    })();
    return () => {
      ac.abort();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [key, buffer]);

  return { buffer, state };
}
