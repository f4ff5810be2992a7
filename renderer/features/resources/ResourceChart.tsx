/**
 * One uPlot chart of the sample window. Created once per mount (and again when the colour scheme
 * changes, since canvas colours are fixed at creation); after that it is only fed through the chart
 * hub with setData, so a sample never re-renders this component. Per sample it hands uPlot the
 * window's live arrays (no copy), and draws the act threshold and the two-point forecast in a
 * hook rather than as series: a forecast series would be a column of nulls as long as the window
 * that uPlot walks on every redraw.
 */
import { memo, useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ResourceSnapshot, TrendData } from '../../../shared/resource';
import { sampleWindow, useResourceStore } from '../../stores/resource-store';
import { registerChart } from './chart-hub';
import { FORECAST_SECONDS, projectTrend, WINDOW_SECONDS, xRange, type Metric, type Projection } from './series';

export interface ChartLine {
  metric: Metric;
  label: string;
  /** CSS custom property holding the colour, e.g. `--chart-memory`. */
  color: string;
  fill?: boolean;
}

export interface ChartSpec {
  id: string;
  lines: ChartLine[];
  height: number;
  /** The trend to project ahead as a dashed line (from the snapshot's trends), from the newest point of `metric`. */
  forecast?: { trend: TrendData['resource']; metric: Metric };
  /** The act threshold to draw as a line (fraction), from the snapshot. */
  threshold?: (snapshot: ResourceSnapshot) => number | null;
}

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (!hex?.[1]) return color;
  const n = parseInt(hex[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const DARK = '(prefers-color-scheme: dark)';

/** Bumps when the system colour scheme flips, so charts are rebuilt with the new colours. */
function useSchemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const query = window.matchMedia(DARK);
    const onChange = () => setVersion((v) => v + 1);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return version;
}

function relativeLabel(offset: number): string {
  const minutes = Math.round(offset / 60);
  if (minutes === 0) return 'now';
  return minutes > 0 ? `+${minutes}m` : `−${-minutes}m`;
}

/** The y scale reaches a little past 0–100 % so that lines on the edges are not cut in half. */
const Y_MIN = -0.03;
const Y_MAX = 1.03;
const Y_TICKS = [0, 0.5, 1];
const yPosition = (value: number) => `${((Y_MAX - value) / (Y_MAX - Y_MIN)) * 100}%`;

/** Ticks every minute over the window, as offsets from the newest sample. */
function xTicks(ahead: number): number[] {
  const ticks: number[] = [];
  for (let offset = -WINDOW_SECONDS + 60; offset <= ahead; offset += 60) ticks.push(offset);
  return ticks;
}
const xPosition = (offset: number, ahead: number) => `${((offset + WINDOW_SECONDS) / (WINDOW_SECONDS + ahead)) * 100}%`;

/**
 * The axes never change (the window always ends at the newest sample), so they are plain DOM drawn
 * once; each sample redraws only the canvas: grid, lines and the threshold.
 */
export const ResourceChart = memo(function ResourceChart({ spec }: { spec: ChartSpec }) {
  const host = useRef<HTMLDivElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const scheme = useSchemeVersion();
  const ahead = spec.forecast ? FORECAST_SECONDS : 0;

  useEffect(() => {
    const element = host.current;
    const outer = root.current;
    if (!element || !outer) return;
    const grid = cssColor('--chart-grid', 'rgba(128,128,128,0.15)');
    const thresholdColor = cssColor('--chart-threshold', '#d9480f');
    const forecastColor = cssColor('--chart-forecast', '#7048e8');
    const forecastShade = withAlpha(forecastColor, 0.06);
    let range: [number, number] = xRange(sampleWindow.lastTime, ahead);
    let threshold: number | null = null;
    let now: number | null = null;
    let projection: Projection | null = null;
    const metrics = spec.lines.map((l) => l.metric);

    const series: uPlot.Series[] = [{}];
    for (const line of spec.lines) {
      const stroke = cssColor(line.color, '#4263eb');
      // spanGaps: no clip path per redraw for the nulls around the forecast (a costly part of a redraw).
      series.push({ label: line.label, stroke, width: 1.5, spanGaps: true, points: { show: false }, ...(line.fill ? { fill: withAlpha(stroke, 0.16) } : {}) });
    }

    /** Under the series: the grid and the shaded future. */
    const drawBackground = (u: uPlot) => {
      const { ctx, bbox } = u;
      const ratio = devicePixelRatio || 1;
      ctx.save();
      if (now !== null && ahead > 0) {
        const x = Math.round(u.valToPos(now, 'x', true));
        ctx.fillStyle = forecastShade;
        ctx.fillRect(x, bbox.top, bbox.left + bbox.width - x, bbox.height);
      }
      ctx.setLineDash([]);
      ctx.strokeStyle = grid;
      ctx.lineWidth = ratio;
      ctx.beginPath();
      for (const value of Y_TICKS) {
        const y = Math.round(u.valToPos(value, 'y', true)) + 0.5;
        ctx.moveTo(bbox.left, y);
        ctx.lineTo(bbox.left + bbox.width, y);
      }
      if (now !== null) {
        for (const offset of xTicks(ahead)) {
          const x = Math.round(u.valToPos(now + offset, 'x', true)) + 0.5;
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
        }
      }
      ctx.stroke();
      ctx.restore();
    };

    /** Over the series: the act threshold and the forecast, each a dashed line. */
    const drawOverlay = (u: uPlot) => {
      const { ctx, bbox } = u;
      const ratio = devicePixelRatio || 1;
      ctx.save();
      ctx.lineWidth = ratio;
      if (threshold !== null) {
        const y = Math.round(u.valToPos(threshold, 'y', true)) + 0.5;
        ctx.strokeStyle = thresholdColor;
        ctx.setLineDash([5 * ratio, 4 * ratio]);
        ctx.beginPath();
        ctx.moveTo(bbox.left, y);
        ctx.lineTo(bbox.left + bbox.width, y);
        ctx.stroke();
      }
      if (projection) {
        ctx.strokeStyle = forecastColor;
        ctx.lineWidth = 1.5 * ratio;
        ctx.setLineDash([4 * ratio, 4 * ratio]);
        ctx.beginPath();
        ctx.moveTo(u.valToPos(projection.times[0], 'x', true), u.valToPos(projection.values[0], 'y', true));
        ctx.lineTo(u.valToPos(projection.times[1], 'x', true), u.valToPos(projection.values[1], 'y', true));
        ctx.stroke();
      }
      ctx.restore();
    };

    const options: uPlot.Options = {
      width: Math.max(80, element.clientWidth),
      height: spec.height,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      padding: [0, 0, 0, 0],
      scales: {
        x: { time: false, range: () => range },
        y: { range: [Y_MIN, Y_MAX] },
      },
      axes: [{ show: false }, { show: false }],
      series,
      hooks: { drawClear: [drawBackground], draw: [drawOverlay] },
    };

    const build = (): uPlot.AlignedData => {
      const snapshot = useResourceStore.getState().snapshot;
      now = sampleWindow.lastTime;
      const forecast = spec.forecast;
      const trend = forecast && snapshot ? snapshot.trends[forecast.trend] : null;
      projection = forecast && trend && now !== null ? projectTrend(now, sampleWindow.last(forecast.metric), trend, trend.threshold) : null;
      threshold = snapshot && spec.threshold ? spec.threshold(snapshot) : null;
      range = xRange(now, ahead);
      return sampleWindow.columns(metrics) as uPlot.AlignedData;
    };

    const chart = new uPlot(options, build(), element);
    // A chart scrolled out of the panel skips its redraws and catches up when it comes back.
    let visible = true;
    let stale = false;
    const update = () => {
      if (!visible) {
        stale = true;
        return;
      }
      stale = false;
      const data = build();
      chart.batch(() => chart.setData(data));
      const points = sampleWindow.length;
      const lastValue = sampleWindow.last(spec.lines[0]?.metric ?? 'memory');
      // What the canvas shows, for tests and people inspecting it: points, newest value, the act
      // line and where the forecast ends (empty when there is none).
      outer.dataset.points = String(points);
      outer.dataset.last = lastValue === null ? '' : lastValue.toFixed(4);
      outer.dataset.threshold = threshold === null ? '' : threshold.toFixed(4);
      outer.dataset.forecast = projection === null ? '' : projection.values[1].toFixed(4);
    };
    update();
    const unregister = registerChart({ update });
    const resize = new ResizeObserver(() => {
      const width = Math.max(80, element.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height: spec.height });
    });
    resize.observe(element);
    const intersection = new IntersectionObserver((entries) => {
      visible = entries.some((entry) => entry.isIntersecting);
      if (visible && stale) update();
    });
    intersection.observe(element);
    return () => {
      intersection.disconnect();
      resize.disconnect();
      unregister();
      chart.destroy();
    };
  }, [spec, scheme, ahead]);

  return (
    <div ref={root} className="chart" data-testid={`chart-${spec.id}`}>
      <div className="chart-y" aria-hidden="true" style={{ height: spec.height }}>
        {Y_TICKS.map((value) => (
          <span key={value} style={{ top: yPosition(value) }}>
            {Math.round(value * 100)}%
          </span>
        ))}
      </div>
      <div className="chart-plot">
        <div ref={host} className="chart-canvas" style={{ height: spec.height }} />
        <div className="chart-x" aria-hidden="true">
          {xTicks(ahead).map((offset) => (
            <span key={offset} style={{ left: xPosition(offset, ahead) }}>
              {relativeLabel(offset)}
            </span>
          ))}
        </div>
      </div>
    </div>
  );
});
