/** A tiny SVG line; cheap enough to redraw every frame. */
export function Sparkline({ values, width = 240, height = 48, label }: {
  values: readonly number[];
  width?: number;
  height?: number;
  label: string;
}) {
  if (values.length < 2) {
    return <svg role="img" aria-label={label} width={width} height={height} className="text-brand-500" />;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min || 1;
  const step = width / (values.length - 1);
  let d = '';
  values.forEach((v, i) => {
    const x = (i * step).toFixed(1);
    const y = (height - 2 - ((v - min) / span) * (height - 4)).toFixed(1);
    d += `${i === 0 ? 'M' : 'L'}${x} ${y}`;
  });
  return (
    <svg role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} className="text-brand-500" data-testid="sparkline">
      <path d={`${d}L${width} ${height}L0 ${height}Z`} fill="currentColor" opacity="0.12" />
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
