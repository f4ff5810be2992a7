/**
 * Drives every mounted chart from one subscription to the resource store: on each sample, each
 * chart hands uPlot the sample window's live columns with setData, imperatively. React never
 * re-renders a chart for a sample. Rounds are batched to the next animation frame: samples that
 * arrive together (the history after a reconnect, a burst after a stall) cost one redraw, and a
 * hidden window, which gets no frames, redraws nothing until it is shown. The cost of each round
 * is measured; with the `mai:perf` flag in localStorage (set by the renderer benchmark) it is also
 * published as a performance measure named `mai:chart-update`.
 */
import { useResourceStore } from '../../stores/resource-store';

export interface ChartUpdater {
  update(): void;
}

export interface ChartCost {
  rounds: number;
  lastMs: number;
  maxMs: number;
  totalMs: number;
}

const charts = new Set<ChartUpdater>();
export const chartCost: ChartCost = { rounds: 0, lastMs: 0, maxMs: 0, totalMs: 0 };
let unsubscribe: (() => void) | null = null;
let scheduled = false;

function perfFlag(): boolean {
  try {
    return globalThis.localStorage?.getItem('mai:perf') === '1';
  } catch {
    return false;
  }
}
const publish = perfFlag();

/** Updates every chart now; returns the milliseconds it took. */
export function updateCharts(): number {
  if (charts.size === 0) return 0;
  const start = performance.now();
  for (const chart of charts) {
    try {
      chart.update();
    } catch (error) {
      console.warn('chart update failed', error);
    }
  }
  const end = performance.now();
  const ms = end - start;
  chartCost.rounds += 1;
  chartCost.lastMs = ms;
  chartCost.totalMs += ms;
  if (ms > chartCost.maxMs) chartCost.maxMs = ms;
  if (publish) performance.measure('mai:chart-update', { start, end, detail: { charts: charts.size } });
  return ms;
}

/** Runs one round at the next animation frame (at once where there are no frames, as in node). */
function scheduleUpdate(): void {
  if (scheduled) return;
  if (typeof requestAnimationFrame !== 'function') {
    updateCharts();
    return;
  }
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    updateCharts();
  });
}

/** Adds a chart to the round; returns its removal. The store subscription lives while any chart does. */
export function registerChart(chart: ChartUpdater): () => void {
  charts.add(chart);
  unsubscribe ??= useResourceStore.subscribe((state, previous) => {
    if (state.sampleSeq !== previous.sampleSeq) scheduleUpdate();
  });
  return () => {
    charts.delete(chart);
    if (charts.size === 0 && unsubscribe) {
      unsubscribe();
      unsubscribe = null;
    }
  };
}
