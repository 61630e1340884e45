import { RecordingPanel } from '@/features/recording/components/RecordingPanel';

export function RecordingRoute() {
  return <RecordingPanel />;
}
