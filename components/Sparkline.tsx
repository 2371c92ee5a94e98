/** A tiny server-rendered line chart (SVG): no script needed to see a day's shape. */
export function Sparkline(props: { values: number[]; width?: number; height?: number; label: string }) {
  const { values, width = 120, height = 32 } = props;
  if (values.length < 2) {
    return <svg width={width} height={height} role="img" aria-label={`${props.label}: not enough data`} />;
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = width / (values.length - 1);
  const points = values.map((v, i) =>
    `${(i * step).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`
  );
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.label}>
      <polyline
        points={points.join(" ")}
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        stroke-linejoin="round"
      />
    </svg>
  );
}
