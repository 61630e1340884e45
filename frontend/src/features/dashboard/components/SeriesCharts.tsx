import { Bar, Line } from 'react-chartjs-2';
import { Card } from '@/components/Card';
import { formatClock } from '@/lib/format';
import { useT } from '@/hooks/use-t';
import type { StatsPoint } from '@/types/api';
import { baseOptions } from './chart-setup';

function labels(series: readonly StatsPoint[]): string[] {
  return series.map((p) => formatClock(p.t).slice(0, 5));
}

export function ViewerChart({ series }: { series: readonly StatsPoint[] }) {
  const t = useT();
  const data = {
    labels: labels(series),
    datasets: [
      {
        label: t('dashboard.viewers'),
        data: series.map((p) => p.online),
        borderColor: '#ea580c',
        backgroundColor: 'rgba(249,115,22,0.15)',
        fill: true,
        pointRadius: 0,
        tension: 0.25,
        spanGaps: true,
      },
    ],
  };
  return (
    <Card title={t('dashboard.viewers')} titleId="viewer-chart-title">
      <div className="h-56" data-testid="viewer-chart" data-points={series.length}>
        <Line data={data} options={baseOptions} aria-label={t('dashboard.viewers')} role="img" />
      </div>
    </Card>
  );
}

export function CommentsChart({ series }: { series: readonly StatsPoint[] }) {
  const t = useT();
  const data = {
    labels: labels(series),
    datasets: [{ label: t('dashboard.cpm'), data: series.map((p) => p.comments), backgroundColor: '#0ea5e9' }],
  };
  return (
    <Card title={t('dashboard.cpm')} titleId="cpm-chart-title">
      <div className="h-56" data-testid="cpm-chart" data-points={series.length}>
        <Bar data={data} options={baseOptions} aria-label={t('dashboard.cpm')} role="img" />
      </div>
    </Card>
  );
}
