import { PlannedPage } from '../placeholder/PlannedPage.tsx';

export function LogsPage() {
  return <PlannedPage title="Logs" what="Live logs of one or several containers." />;
}
