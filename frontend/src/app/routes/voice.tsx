import { VoicePanel } from '@/features/voice/components/VoicePanel';

export function VoiceRoute() {
  return <VoicePanel />;
}
