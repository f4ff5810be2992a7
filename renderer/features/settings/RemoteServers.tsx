/**
 * The saved servers in Settings: address, health as the engine last checked it, the models chosen
 * as rungs with their figures, whether a key is saved (and encrypted), the plain-http warning.
 */
import { useState } from 'react';
import type { RemoteEngineView, RemoteFigures, RemoteStatus } from '../../../shared/remote';
import { call } from '../../ipc/api';
import { refreshLadder } from '../../ipc/binder';
import { formatMs, formatRate } from '../../lib/format';
import { setRemoteView, useRemoteStore } from '../../stores/remote-store';

const HEALTH_TEXT: Record<RemoteStatus['health'], string> = {
  unknown: 'Not checked yet',
  healthy: 'Healthy',
  unreachable: 'Unreachable',
};

/** "first token 40 ms · speed 90.0 tok/s · 1 failure · round trip 2 ms" for one remote rung. */
export function figuresText(figures: RemoteFigures | undefined): string {
  if (!figures) return 'no replies yet';
  const parts = [
    `first token ${formatMs(figures.ttftMs)}`,
    `speed ${formatRate(figures.tokensPerSecond)}`,
    `${figures.failures} failure${figures.failures === 1 ? '' : 's'}`,
    `round trip ${formatMs(figures.rttMs)}`,
  ];
  return parts.join(' · ');
}

/** Health pill of one server: what the engine reported, or "not used" under the policy that sends nothing. */
export function HealthPill({ status, used }: { status: RemoteStatus | undefined; used: boolean }) {
  const health = used ? (status?.health ?? 'unknown') : 'unused';
  const text = health === 'unused' ? 'Not used (this machine only)' : HEALTH_TEXT[health];
  return (
    <span className={`pill pill-remote-${health}`} data-testid="remote-health" data-health={health} title={status?.lastError ?? undefined}>
      <span className="dot" />
      {text}
    </span>
  );
}

function ServerRow({ engine, status, used, onEdit }: { engine: RemoteEngineView; status: RemoteStatus | undefined; used: boolean; onEdit: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<Parameters<typeof setRemoteView>[0]>) => {
    setBusy(true);
    setError(null);
    try {
      setRemoteView(await action());
      void refreshLadder();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="setting-row remote-server" data-testid="remote-server" data-host={engine.host}>
      <div className="setting-text">
        <span className="setting-label">{engine.baseUrl}</span>
        <p className="setting-facts">
          <HealthPill status={status} used={used} />
          <span data-testid="remote-key-status">
            {engine.hasApiKey ? (engine.keyEncrypted ? 'API key saved, encrypted' : 'API key saved in a file only your account can read') : 'No API key'}
          </span>
        </p>
        {status?.lastError && used && (
          <p className="field-error left" data-testid="remote-last-error">
            {status.lastError}
          </p>
        )}
        {engine.warning && (
          <p className="field-warning" data-testid="remote-warning">
            {engine.warning}
          </p>
        )}
        <ul className="remote-rungs">
          {engine.models.length === 0 && <li className="muted">No model chosen: this server is no rung yet.</li>}
          {engine.models.map((model) => (
            <li key={model} data-testid="remote-rung" data-model={model}>
              <span className="model-id">{model}</span> <span className="muted small-text">{figuresText(status?.models[model])}</span>
            </li>
          ))}
        </ul>
        {error && (
          <p className="field-error left" role="alert">
            {error}
          </p>
        )}
      </div>
      <div className="setting-control hub-token-control">
        <button type="button" className="small button-secondary" data-testid="remote-edit" disabled={busy} onClick={onEdit}>
          Change
        </button>
        {engine.hasApiKey && (
          <button
            type="button"
            className="small button-secondary"
            data-testid="remote-forget-key"
            disabled={busy}
            onClick={() => void run(() => call('remote:save', { baseUrl: engine.baseUrl, models: engine.models, apiKey: null }))}
          >
            Forget key
          </button>
        )}
        <button
          type="button"
          className="small button-secondary"
          data-testid="remote-remove"
          disabled={busy}
          onClick={() => void run(() => call('remote:remove', { baseUrl: engine.baseUrl }))}
        >
          Remove
        </button>
      </div>
    </div>
  );
}

export function RemoteServers({ onEdit }: { onEdit: (engine: { baseUrl: string; models: string[]; hasApiKey: boolean }) => void }) {
  const view = useRemoteStore((s) => s.view);
  const statuses = useRemoteStore((s) => s.statuses);
  if (!view || view.engines.length === 0) return null;
  const used = view.policy !== 'local-only';
  return (
    <div className="remote-servers" data-testid="remote-servers">
      {view.engines.map((engine) => (
        <ServerRow
          key={engine.baseUrl}
          engine={engine}
          status={statuses.find((s) => s.baseUrl === engine.baseUrl)}
          used={used}
          onEdit={() => onEdit({ baseUrl: engine.baseUrl, models: engine.models, hasApiKey: engine.hasApiKey })}
        />
      ))}
    </div>
  );
}
