import { useAssistantStatus } from './readiness.ts';

/**
 * "Explain" on a failure (a deploy, a container): a link to the assistant while a model can answer; otherwise
 * disabled, with the reason and a way to the setup guidance.
 */
export function ExplainLink({ href, testId, label = 'Explain' }: { href: string; testId: string; label?: string }) {
  const { readiness } = useAssistantStatus();
  if (readiness.ready === false) {
    return (
      <span className="explain-unavailable">
        <button type="button" disabled data-testid={testId} title={readiness.reason ?? undefined} aria-describedby={`${testId}-why`}>
          {label}
        </button>
        <a id={`${testId}-why`} className="small" href="#/assistant" title={readiness.reason ?? undefined} data-testid={`${testId}-why`}>
          no AI model: set one up
        </a>
      </span>
    );
  }
  return (
    <a className="button-link" href={href} data-testid={testId}>
      {label}
    </a>
  );
}
