/** The models Mai can offer: size, where it is, last use, the one in use; Use and Delete/Forget. */
import { useState } from 'react';
import type { ModelEntry } from '../../../shared/domain';
import { call } from '../../ipc/api';
import { formatAgo, formatBytes } from '../../lib/format';
import { useAppStore } from '../../stores/app-store';
import { removeVerb, shortHash, sourceText } from './model-text';

type Outcome = { kind: 'ok' | 'error'; message: string } | null;

/** Where a downloaded model came from (repository, commit, SHA-256) and "Verify again". */
function Provenance({ model }: { model: ModelEntry }) {
  const provenance = model.provenance;
  const [checking, setChecking] = useState(false);
  const [result, setResult] = useState<Outcome>(null);
  if (!provenance) return null;
  const name = model.fileName.replace(/\.gguf$/i, '');
  const verify = async () => {
    setChecking(true);
    setResult(null);
    try {
      const answer = await call('models:verify', { path: model.path });
      setResult({ kind: answer.ok ? 'ok' : 'error', message: answer.message });
    } catch (e) {
      setResult({ kind: 'error', message: (e as Error).message });
    } finally {
      setChecking(false);
    }
  };
  const hash = provenance.sha256[0] ?? '';
  return (
    <div className="provenance" data-testid="provenance">
      <p className="catalog-facts">
        <span data-testid="provenance-repo">From {provenance.repo}</span>
        <span data-testid="provenance-commit" title={provenance.commit}>
          commit {shortHash(provenance.commit, 7)}
        </span>
        <span data-testid="provenance-sha" title={provenance.sha256.join('\n')}>
          SHA-256 {shortHash(hash, 12)}…{provenance.sha256.length > 1 ? ` (+${provenance.sha256.length - 1} parts)` : ''}
        </span>
        <span>verified {formatAgo(provenance.verifiedAt)}</span>
        <button
          type="button"
          className="button-link small-text"
          data-testid="verify-again"
          aria-label={`Verify ${name} again`}
          disabled={checking}
          onClick={() => void verify()}
        >
          {checking ? 'Hashing…' : 'Verify again'}
        </button>
      </p>
      {result && (
        <p
          className={result.kind === 'error' ? 'field-error left' : 'saved small-text'}
          role={result.kind === 'error' ? 'alert' : 'status'}
          data-testid="verify-result"
        >
          {result.message}
        </p>
      )}
    </div>
  );
}

function InstalledRow({ model, inUse, busy, onOutcome }: { model: ModelEntry; inUse: boolean; busy: boolean; onOutcome: (o: Outcome) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [working, setWorking] = useState(false);
  const verb = removeVerb(model.source);
  const name = model.fileName.replace(/\.gguf$/i, '');
  const use = async () => {
    setWorking(true);
    onOutcome(null);
    try {
      const loaded = await call('models:select', { path: model.path });
      onOutcome({ kind: 'ok', message: `${loaded.name} is in use now.` });
    } catch (e) {
      onOutcome({ kind: 'error', message: (e as Error).message });
    } finally {
      setWorking(false);
    }
  };
  const remove = async () => {
    setWorking(true);
    setConfirming(false);
    try {
      const result = await call('models:remove', { path: model.path });
      onOutcome({ kind: result.removed ? 'ok' : 'error', message: result.message });
    } catch (e) {
      onOutcome({ kind: 'error', message: (e as Error).message });
    } finally {
      setWorking(false);
    }
  };
  return (
    <li className={`installed-row${inUse ? ' in-use' : ''}`} data-testid="installed-model" data-path={model.path} data-in-use={inUse}>
      <div className="installed-main">
        <div className="catalog-title">
          <strong title={model.path}>{name}</strong>
          {inUse && (
            <span className="chip chip-accent" data-testid="in-use">
              In use
            </span>
          )}
          {model.synthetic && <span className="chip">Demo · gibberish</span>}
        </div>
        <p className="catalog-facts">
          <span data-testid="installed-size">{formatBytes(model.sizeBytes)}</span>
          <span>{sourceText(model.source)}</span>
          <span data-testid="installed-last-use">{model.lastUsedAt ? `Last used ${formatAgo(model.lastUsedAt)}` : 'Never used'}</span>
        </p>
        <Provenance model={model} />
        {confirming && verb && (
          <div className="confirm-row" role="alertdialog" aria-label={`${verb} ${name}?`} data-testid="remove-confirm">
            <span className="small-text">
              {verb === 'Delete' ? `Delete ${model.fileName} from disk? This cannot be undone.` : `Forget ${model.fileName}? Its file stays where it is.`}
            </span>
            <button type="button" className="small danger" data-testid="remove-confirm-yes" onClick={() => void remove()}>
              {verb}
            </button>
            <button type="button" className="small button-secondary" data-testid="remove-confirm-no" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </div>
        )}
      </div>
      <span className="installed-actions">
        <button
          type="button"
          className="small"
          data-testid="installed-use"
          aria-label={`Use ${name}`}
          disabled={inUse || busy || working}
          onClick={() => void use()}
        >
          Use
        </button>
        {verb && (
          <button
            type="button"
            className="small button-secondary"
            data-testid="installed-remove"
            aria-label={`${verb} ${name}`}
            title={inUse ? 'In use: switch to another model first' : undefined}
            disabled={inUse || working || confirming}
            onClick={() => setConfirming(true)}
          >
            {verb}
          </button>
        )}
      </span>
    </li>
  );
}

export function InstalledSection() {
  const models = useAppStore((s) => s.models);
  const current = useAppStore((s) => s.model?.path ?? null);
  const generating = useAppStore((s) => s.generating);
  const [outcome, setOutcome] = useState<Outcome>(null);
  return (
    <section className="models-section" aria-labelledby="models-installed-title">
      <h3 id="models-installed-title">Installed</h3>
      {outcome && (
        <p
          className={outcome.kind === 'error' ? 'field-error left' : 'saved small-text'}
          role={outcome.kind === 'error' ? 'alert' : 'status'}
          data-testid="installed-outcome"
        >
          {outcome.message}
        </p>
      )}
      {models.length === 0 ? (
        <p className="muted">No model yet: download one from the catalog or the Hub, or import a GGUF file.</p>
      ) : (
        <ul className="installed-list" data-testid="installed-list">
          {models.map((model) => (
            <InstalledRow key={model.path} model={model} inUse={model.path === current} busy={generating} onOutcome={setOutcome} />
          ))}
        </ul>
      )}
    </section>
  );
}
