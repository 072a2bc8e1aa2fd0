import { useEffect, useRef, type ReactNode } from 'react';

/** data-testids of the parts, so each view keeps the ones its tests use. */
export interface LongOperationIds {
  root?: string;
  row?: string;
  status?: string;
  step?: string;
  progress?: string;
  log?: string;
  cancel?: string;
}

export interface LongOperationProps {
  /** running, succeeded, failed, cancelled, or a domain's own phase (it names the bar's colour class too). */
  status: string;
  /** The step, as the user reads it. */
  step: string | null;
  /** 0–100; null: unknown (the bar shows a sliver). */
  progress: number | null;
  log: string;
  error?: string | null;
  /** Shown as a Cancel button while set. */
  onCancel?: (() => void) | undefined;
  /** More of the heading row (commit, re-attaching, links). */
  children?: ReactNode;
  ids?: LongOperationIds;
}

/** How every long operation is shown (deploy, Compose, Docker install…): status and step, a progress bar, the log, cancel. */
export function LongOperation({ status, step, progress, log, error, onCancel, children, ids = {} }: LongOperationProps) {
  const logRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (logRef.current) logRef.current.scrollTop = logRef.current.scrollHeight;
  }, [log]);
  const pct = Math.min(100, Math.max(0, progress ?? 5));
  return (
    <div className="deploy-status" data-testid={ids.root}>
      <div className="row" data-testid={ids.row}>
        <strong data-testid={ids.status}>{status}</strong>
        {step && <span data-testid={ids.step}>{step}</span>}
        {children}
        {error && <span className="error-text">{error}</span>}
        {onCancel && (
          <button onClick={onCancel} data-testid={ids.cancel}>
            Cancel
          </button>
        )}
      </div>
      <div className="deploy-progress" role="progressbar" aria-label="Progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} data-testid={ids.progress}>
        <div className={`deploy-progress-bar deploy-${status}`} style={{ width: `${pct}%` }} />
      </div>
      {log && (
        <pre className="deploy-log" ref={logRef} data-testid={ids.log} tabIndex={0} aria-label="Log">
          {log}
        </pre>
      )}
    </div>
  );
}
