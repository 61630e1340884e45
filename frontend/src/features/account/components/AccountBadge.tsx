import { Link } from 'react-router-dom';
import { StatusDot } from '@/components/StatusDot';
import { useT } from '@/hooks/use-t';
import { useAccountPolling } from '../store';

/** The header's account state: the Douyin nickname, or 未登录 (gifts and names hidden), linking to settings. */
export function AccountBadge() {
  const t = useT();
  const account = useAccountPolling();
  if (!account) return null; // not read yet, or the gateway is down (the health strip says so)
  const name = account.login_pending
    ? t('account.pending')
    : account.logged_in
      ? account.nickname || t('account.unknownName')
      : t('account.guest');
  return (
    <Link
      to="/settings"
      className="flex items-center gap-1.5 rounded px-2 py-1 text-xs text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 dark:text-slate-300 dark:hover:bg-slate-800"
      title={account.logged_in ? undefined : t('account.guestHint')}
      data-testid="account-badge"
      data-logged-in={String(account.logged_in)}
    >
      <StatusDot tone={account.logged_in ? 'ok' : 'warn'} />
      {t('account.header', { name })}
    </Link>
  );
}
