import type { ReactNode } from 'react';

export interface EmptyStateProps {
  /** What is missing, e.g. "No databases yet." */
  title: string;
  /** What to do first, in a sentence. */
  hint: ReactNode;
  /** The action that does it (a button or link), when the page has one. */
  action?: ReactNode;
  testId?: string;
}

/** The one empty state of list pages: what is missing, what to do first, and the action that does it. */
export function EmptyState({ title, hint, action, testId }: EmptyStateProps) {
  return (
    <div className="empty-state" data-testid={testId ?? 'empty-state'}>
      <p className="empty-title">
        <strong>{title}</strong>
      </p>
      <p>{hint}</p>
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
