import { useState } from 'react';
import { call } from '../../ipc/api';
import { remoteHostOfPath } from '../../lib/remote';
import { useShallow } from 'zustand/react/shallow';
import { pushNotice, setModels, useAppStore } from '../../stores/app-store';
import { useResourceStore } from '../../stores/resource-store';
import { RemoteHost } from '../common/HostText';

function formatSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Choose among the models folder's GGUF files. */
export function ModelPicker() {
  const models = useAppStore((state) => state.models);
  const current = useAppStore((state) => state.model);
  const generating = useAppStore((state) => state.generating);
  const [busy, setBusy] = useState(false);
  // A remote rung is no file here: it is listed as the model in use, and its host marked beside.
  const remoteHost = remoteHostOfPath(current?.path);
  // The servers' models on the ladder can be chosen too (main's models:select takes their address).
  const remoteRungs = useResourceStore(useShallow((s) => s.ladder.filter((rung) => rung.host !== undefined)));
  const unlisted = current !== null && !models.some((model) => model.path === current.path) && !remoteRungs.some((rung) => rung.path === current.path);
  const select = async (path: string) => {
    setBusy(true);
    try {
      await call('models:select', { path });
    } catch (error) {
      pushNotice({ level: 'error', message: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const refresh = () => {
    call('models:list', {}).then(setModels, (error: Error) => pushNotice({ level: 'error', message: error.message }));
  };
  return (
    <label className="model-picker" data-remote={remoteHost ?? undefined}>
      <span className="visually-hidden">Model</span>
      <select
        data-testid="model-select"
        title="The model in use (Mai may change it as resources change)"
        value={current?.path ?? ''}
        disabled={busy || generating}
        onFocus={refresh}
        onChange={(event) => void select(event.target.value)}
      >
        {!current && <option value="">None loaded</option>}
        {current && unlisted && <option value={current.path}>{current.name}</option>}
        {models.map((model) => (
          <option key={model.path} value={model.path}>
            {model.fileName.replace(/\.gguf$/i, '')} · {formatSize(model.sizeBytes)}
            {model.synthetic ? ' · demo' : ''}
          </option>
        ))}
        {remoteRungs.map((rung) => (
          <option key={rung.path} value={rung.path}>
            {rung.name} · remote
          </option>
        ))}
      </select>
      {remoteHost && (
        <span className="model-remote" data-testid="model-remote">
          <RemoteHost host={remoteHost} />
        </span>
      )}
    </label>
  );
}
