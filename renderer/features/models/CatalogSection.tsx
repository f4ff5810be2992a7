/**
 * The curated catalog: each entry's facts, its fit on this machine, and its Download button. Every
 * entry can be downloaded: main resolves it on the Hub when the download starts and checks the bytes.
 */
import { useState } from 'react';
import type { CatalogItem, DownloadData } from '../../../shared/catalog';
import { call } from '../../ipc/api';
import { upsertDownload, useAppStore } from '../../stores/app-store';
import { FitBadge } from './FitBadge';
import { ACTIVE_DOWNLOAD_STATES, catalogSize, contextText } from './model-text';

function CatalogRow({ item, active }: { item: CatalogItem; active: DownloadData | undefined }) {
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      upsertDownload(await call('downloads:start', { catalogId: item.id }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setStarting(false);
    }
  };
  return (
    <li
      className={`catalog-row${item.recommended ? ' recommended' : ''}`}
      data-testid={`catalog-${item.id}`}
      data-fit={item.fit.kind}
      data-pinned={item.pinned}
    >
      <div className="catalog-main">
        <div className="catalog-title">
          <strong>{item.name}</strong>
          {item.recommended && (
            <span className="chip chip-accent" data-testid="catalog-recommended">
              Recommended for this machine
            </span>
          )}
          {item.installed && <span className="chip">Installed</span>}
        </div>
        <p className="catalog-facts">
          <span title="Parameters">{item.parameters}</span>
          <span title="Quantization">{item.quantization}</span>
          <span title="File size">{catalogSize(item)}</span>
          <span title="Training context">{contextText(item.contextLength)}</span>
          <span title="Licence">{item.licence}</span>
        </p>
        <FitBadge fit={item.fit} />
        {error && (
          <p className="field-error left" role="alert" data-testid="download-start-error">
            {error}
          </p>
        )}
      </div>
      <button
        type="button"
        className="small"
        data-testid="catalog-download"
        disabled={item.installed || active !== undefined || starting}
        aria-label={`Download ${item.name}`}
        onClick={() => void start()}
      >
        {active ? 'In downloads' : item.installed ? 'Installed' : 'Download'}
      </button>
    </li>
  );
}

export function CatalogSection() {
  const catalog = useAppStore((s) => s.catalog);
  const downloads = useAppStore((s) => s.downloads);
  return (
    <section className="models-section" aria-labelledby="models-catalog-title">
      <h3 id="models-catalog-title">Catalog</h3>
      <p className="muted small-text">Fit is worked out for this machine from its free memory now and what Mai measured of the models it ran.</p>
      {catalog === null ? (
        <p className="muted">Loading the catalog…</p>
      ) : (
        <ul className="catalog-list" data-testid="catalog-list">
          {catalog.map((item) => (
            <CatalogRow key={item.id} item={item} active={downloads.find((d) => d.id === item.id && ACTIVE_DOWNLOAD_STATES.includes(d.state))} />
          ))}
        </ul>
      )}
    </section>
  );
}
