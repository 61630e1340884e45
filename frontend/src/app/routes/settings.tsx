import { DouyinAccountCard } from '@/features/account/components/DouyinAccountCard';
import { ClientSettings } from '@/features/settings/components/ClientSettings';
import { ServerSettingsForm } from '@/features/settings/components/ServerSettingsForm';
import { ReadAloudSettingsCard } from '@/features/readaloud/components/ReadAloudSettingsCard';
import { AlertSettingsCard } from '@/features/alerts/components/AlertSettingsCard';
import { OverlayKeysPanel } from '@/features/overlay/components/OverlayKeysPanel';

export function SettingsRoute() {
  return (
    <div className="flex max-w-4xl flex-col gap-4">
      <DouyinAccountCard />
      <ClientSettings />
      <ServerSettingsForm />
      <ReadAloudSettingsCard />
      <AlertSettingsCard />
      <OverlayKeysPanel />
    </div>
  );
}
