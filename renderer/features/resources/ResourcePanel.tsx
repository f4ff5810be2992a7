/**
 * The resource panel beside the chat: what the machine has, what Mai is doing about it and why.
 * Charts are fed imperatively (ResourceChart + chart-hub); the text cards re-render at most once
 * per sample, and only this panel's components read the resource store.
 */
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { GenerationStats } from '../../../shared/domain';
import { upgradeHoldLabel } from '../../../shared/resource';
import { call } from '../../ipc/api';
import { formatBytes, formatCountdown, formatMs, formatPercent, formatRate } from '../../lib/format';
import { modelLabel } from '../../lib/models';
import { remoteHostOfPath } from '../../lib/remote';
import { pushNotice, setPanelOpen, useAppStore } from '../../stores/app-store';
import { setScalingPaused, useResourceStore } from '../../stores/resource-store';
import { HostText } from '../common/HostText';
import { DecisionLog } from './DecisionLog';
import { LadderCard } from './LadderCard';
import { ResourceChart, type ChartSpec } from './ResourceChart';
import { Suggestions } from './Suggestions';

const MEMORY_CHART: ChartSpec = {
  id: 'memory',
  height: 104,
  lines: [{ metric: 'memory', label: 'Memory used', color: '--chart-memory', fill: true }],
  forecast: { trend: 'memory', metric: 'memory' },
  threshold: (s) => s.thresholds.degrade,
};
const CPU_CHART: ChartSpec = {
  id: 'cpu',
  height: 78,
  lines: [
    { metric: 'cpuOther', label: 'Other programs', color: '--chart-cpu-other', fill: true },
    { metric: 'cpuTotal', label: 'Total', color: '--chart-cpu-total' },
  ],
  // The scaler's CPU trend follows other programs' load; above its threshold Mai does not step up.
  forecast: { trend: 'cpu', metric: 'cpuOther' },
  threshold: (s) => s.trends.cpu.threshold,
};
// No forecast for swap: the engine reports no swap trend (ResourceSnapshot.trends has memory, VRAM and CPU).
const SWAP_CHART: ChartSpec = { id: 'swap', height: 64, lines: [{ metric: 'swap', label: 'Swap used', color: '--chart-swap', fill: true }] };
const VRAM_CHART: ChartSpec = {
  id: 'vram',
  height: 78,
  lines: [{ metric: 'vram', label: 'VRAM used', color: '--chart-vram', fill: true }],
  forecast: { trend: 'vram', metric: 'vram' },
  threshold: (s) => s.trends.vram.threshold,
};

const STATUS_LABEL: Record<string, string> = {
  steady: 'Steady',
  degrading: 'Stepping down',
  stabilizing: 'Stabilizing',
  paused: 'Paused',
};

function ScalerStatus() {
  const status = useResourceStore((s) => s.snapshot?.status ?? null);
  const switching = useResourceStore((s) => s.snapshot?.switching ?? null);
  const paused = useResourceStore((s) => s.scalingPaused);
  const ladder = useResourceStore((s) => s.ladder);
  const [busy, setBusy] = useState(false);
  const kind = paused ? 'paused' : (status?.kind ?? 'steady');
  const toggle = async () => {
    setBusy(true);
    try {
      const result = await call('scaler:pause', { paused: !paused });
      setScalingPaused(result.paused);
    } catch (error) {
      pushNotice({ level: 'error', message: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  let detail: string;
  if (switching) detail = `Switching from ${modelLabel(switching.from, ladder)} to ${modelLabel(switching.to, ladder)}…`;
  else if (kind === 'paused') detail = 'Automatic scaling is paused. Emergencies still act.';
  else if (kind === 'stabilizing') {
    // The earliest time and the rule that holds the upgrade until then, by that rule's one name.
    const until = status?.secondsUntilUpgrade;
    const bigger = status?.to ? modelLabel(status.to, ladder) : 'A bigger model';
    detail =
      status?.waitingForReply === true || status?.rule === 'reply'
        ? `${bigger} fits again; Mai switches once the reply is done.`
        : until !== null && until !== undefined && until > 0
          ? `${bigger} can come back in ${formatCountdown(until)} at the earliest.`
          : `${bigger} comes back once the rule below lets go.`;
  } else if (kind === 'degrading') detail = status?.reason ?? 'Moving to a smaller model.';
  else detail = 'Resources are fine for the model in use.';
  const extra = status?.blockedBy ? `Held by: ${status.blockedBy}` : kind !== 'degrading' && status?.reason ? status.reason : null;
  // While an upgrade is held, the pill names the rule that holds it (not "stabilizing" for every timer).
  const pill = kind === 'stabilizing' && status?.rule ? upgradeHoldLabel(status.rule) : (STATUS_LABEL[kind] ?? kind);
  return (
    <section className="card scaler" data-testid="scaler-status" data-kind={kind}>
      <div className="card-row">
        <span className={`pill pill-${kind}`} data-testid="scaler-kind" data-rule={kind === 'stabilizing' ? (status?.rule ?? '') : undefined}>
          <span className="dot" />
          {pill}
          {kind === 'stabilizing' && typeof status?.secondsUntilUpgrade === 'number' && (
            <span className="countdown" data-testid="scaler-countdown">
              {formatCountdown(status.secondsUntilUpgrade)}
            </span>
          )}
        </span>
        <button type="button" className="button-secondary small" data-testid="scaler-pause" disabled={busy} onClick={() => void toggle()}>
          {paused ? 'Resume automatic scaling' : 'Pause automatic scaling'}
        </button>
      </div>
      <p className="card-text">
        <HostText text={detail} />
      </p>
      {extra && <p className="card-text muted">{extra}</p>}
    </section>
  );
}

function MemoryHeadline() {
  const sample = useResourceStore((s) => s.snapshot?.sample ?? null);
  const trend = useResourceStore((s) => s.snapshot?.trends.memory ?? null);
  const degrade = useResourceStore((s) => s.snapshot?.thresholds.degrade ?? null);
  const used = sample ? sample.memUsedBytes / sample.memTotalBytes : null;
  const over = used !== null && degrade !== null && used >= degrade;
  const eta = !over && trend?.available && trend.secondsToThreshold !== null && trend.secondsToThreshold >= 1 ? trend.secondsToThreshold : null;
  return (
    <header className="chart-head">
      <span className="chart-title">Memory</span>
      <span className="chart-value" data-testid="memory-value">
        {formatPercent(used)} <span className="muted">of {formatBytes(sample?.memTotalBytes)}</span>
      </span>
      <span className="chart-sub">
        <span className="legend legend-threshold">act at {formatPercent(degrade, 0)}</span>
        {over && <span className="over-threshold">over it now</span>}
        {eta !== null && eta < 3600 && <span className="legend legend-forecast">reaches it in ~{formatCountdown(eta)}</span>}
      </span>
    </header>
  );
}

function CpuHeadline() {
  const other = useResourceStore((s) => s.snapshot?.sample.cpuOtherLoad ?? null);
  const total = useResourceStore((s) => s.snapshot?.sample.cpuTotalLoad ?? null);
  const trend = useResourceStore((s) => s.snapshot?.trends.cpu ?? null);
  const limit = trend?.threshold ?? null;
  const over = other !== null && limit !== null && other >= limit;
  const eta = !over && trend?.available && trend.secondsToThreshold !== null && trend.secondsToThreshold >= 1 ? trend.secondsToThreshold : null;
  return (
    <header className="chart-head">
      <span className="chart-title">CPU</span>
      <span className="chart-value">{formatPercent(total, 0)}</span>
      <span className="chart-sub">
        <span className="legend legend-cpu-other">other programs {formatPercent(other, 0)}</span>
        <span className="legend legend-cpu-total">total</span>
        {limit !== null && (
          <span
            className="legend legend-threshold"
            data-testid="cpu-threshold"
            title="Above this load from other programs Mai does not move up to a bigger model"
          >
            no step up above {formatPercent(limit, 0)}
          </span>
        )}
        {over && <span className="over-threshold">over it now</span>}
        {eta !== null && eta < 3600 && <span className="legend legend-forecast">reaches it in ~{formatCountdown(eta)}</span>}
      </span>
    </header>
  );
}

function SwapCard() {
  const total = useResourceStore((s) => s.snapshot?.sample.swapTotalBytes ?? null);
  const used = useResourceStore((s) => s.snapshot?.sample.swapUsedBytes ?? null);
  return (
    <section className="card chart-card" data-testid="swap-card">
      <header className="chart-head">
        <span className="chart-title">Swap</span>
        <span className="chart-value">
          {total ? (
            <>
              {formatBytes(used)} <span className="muted">of {formatBytes(total)}</span>
            </>
          ) : (
            <span className="muted">none on this machine</span>
          )}
        </span>
      </header>
      {total ? <ResourceChart spec={SWAP_CHART} /> : null}
    </section>
  );
}

function VramCard() {
  const total = useResourceStore((s) => s.snapshot?.sample.vramTotalBytes ?? null);
  const used = useResourceStore((s) => s.snapshot?.sample.vramUsedBytes ?? null);
  if (!total) return null;
  return (
    <section className="card chart-card" data-testid="vram-card">
      <header className="chart-head">
        <span className="chart-title">VRAM</span>
        <span className="chart-value">
          {formatPercent(used === null ? null : used / total)} <span className="muted">of {formatBytes(total)}</span>
        </span>
      </header>
      <ResourceChart spec={VRAM_CHART} />
    </section>
  );
}

function average(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function ModelCard() {
  const model = useAppStore((s) => s.model);
  const recent = useAppStore(
    useShallow((s) => {
      const stats: GenerationStats[] = [];
      for (let i = s.messageIds.length - 1; i >= 0 && stats.length < 5; i -= 1) {
        const message = s.messages[s.messageIds[i] ?? ''];
        if (message?.role === 'assistant' && message.stats) stats.push(message.stats);
      }
      return stats;
    }),
  );
  const threads = useResourceStore((s) => s.snapshot?.threads ?? null);
  const modelId = useResourceStore((s) => s.snapshot?.modelId ?? null);
  const performance = useResourceStore(useShallow((s) => s.snapshot?.performance ?? []));
  const measured = performance.find((p) => p.modelId === modelId || p.modelId === model?.path) ?? null;
  const tps = average(recent.map((r) => r.tokensPerSecond)) ?? measured?.tokensPerSecond ?? null;
  // A model on a server uses no thread or GPU of this machine.
  const remote = remoteHostOfPath(model?.path) !== null;
  const ttft = average(recent.map((r) => r.ttftMs)) ?? measured?.ttftMs ?? null;
  return (
    <section className="card" data-testid="panel-model">
      <div className="card-row">
        <span className="card-title">Model</span>
        <span className="model-title" data-testid="panel-model-name" title={model?.path}>
          {model ? <HostText text={model.name} /> : 'None loaded'}
        </span>
      </div>
      <dl className="facts">
        <div>
          <dt>Context</dt>
          <dd data-testid="panel-context">{model ? `${model.contextSize.toLocaleString('en')} tokens` : '—'}</dd>
        </div>
        <div>
          <dt>Threads</dt>
          <dd data-testid="panel-threads">{remote ? 'none here' : (threads ?? model?.threads ?? '—')}</dd>
        </div>
        <div>
          <dt>GPU layers</dt>
          <dd data-testid="panel-gpu-layers">{!model ? '—' : remote ? 'on the server' : model.gpu ? `${model.gpuLayers} on ${model.gpu}` : 'none (CPU)'}</dd>
        </div>
        <div>
          <dt>Speed</dt>
          <dd data-testid="panel-speed" title={recent.length ? `average of the last ${recent.length} replies` : 'measured on this model'}>
            {formatRate(tps)}
          </dd>
        </div>
        <div>
          <dt>First token</dt>
          <dd data-testid="panel-ttft">{formatMs(ttft)}</dd>
        </div>
        <div>
          <dt>Replies</dt>
          <dd>{measured ? `${measured.replies}${measured.failures ? `, ${measured.failures} failed` : ''}` : '—'}</dd>
        </div>
      </dl>
    </section>
  );
}

function TierCard() {
  const tier = useResourceStore((s) => s.tier);
  if (!tier) return null;
  return (
    <section className="card" data-testid="tier">
      <details>
        <summary>
          <span className="card-title">Hardware tier</span>
          <span className="tier-label" data-testid="tier-label">
            {tier.label}
          </span>
        </summary>
        {tier.description && <p className="card-text">{tier.description}</p>}
        <ul className="reasons">
          {tier.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      </details>
    </section>
  );
}

export function ResourcePanel() {
  const hasSample = useResourceStore((s) => s.snapshot !== null);
  return (
    <aside className="resource-panel" data-testid="resource-panel" aria-label="Resources">
      <header className="panel-head">
        <h2>Resources</h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Hide resources"
          title="Hide resources (Ctrl+B)"
          data-testid="panel-close"
          onClick={() => setPanelOpen(false)}
        >
          ×
        </button>
      </header>
      <div className="panel-scroll">
        <ScalerStatus />
        {!hasSample && <p className="card-text muted">Waiting for the first resource sample…</p>}
        <section className="card chart-card" data-testid="memory-card">
          <MemoryHeadline />
          <ResourceChart spec={MEMORY_CHART} />
        </section>
        <section className="card chart-card" data-testid="cpu-card">
          <CpuHeadline />
          <ResourceChart spec={CPU_CHART} />
        </section>
        <VramCard />
        <SwapCard />
        <ModelCard />
        <LadderCard />
        <Suggestions />
        <TierCard />
        <DecisionLog />
      </div>
    </aside>
  );
}
