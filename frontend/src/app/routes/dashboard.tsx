import '@/features/dashboard/components/chart-setup';
import { Dashboard } from '@/features/dashboard/components/Dashboard';

export default function DashboardRoute() {
  return <Dashboard />;
}
