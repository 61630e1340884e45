import { WorkersPanel } from '@/features/workers/components/WorkersPanel';

export function WorkersRoute() {
  return <WorkersPanel />;
}
