import { PlannedPage } from '../placeholder/PlannedPage.tsx';

export function TerminalsPage() {
  return <PlannedPage title="Terminals" what="Shells into servers and containers." />;
}
