import { PlannedPage } from '../placeholder/PlannedPage.tsx';

export function ContainersPage() {
  return <PlannedPage title="Containers" what="Every container on every server, with actions." />;
}
