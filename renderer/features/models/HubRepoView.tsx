/**
 * One Hub repository: its chat models grouped by quantization, each with its size, its fit on this
 * machine (the same badge as the catalog's) and a Download button. A split model is one entry;
 * vision projectors are left out by main. The download then shows in the Downloads section.
 */
import { useEffect, useRef, useState } from 'react';
import type { HubModelFile, HubRepo } from '../../../shared/hub';
import { call } from '../../ipc/api';
import { formatBytes } from '../../lib/format';
import { upsertDownload, useAppStore } from '../../stores/app-store';
import { FitBadge } from './FitBadge';
import { ACTIVE_DOWNLOAD_STATES, groupByQuantization, shortHash } from './model-text';

function FileRow({ repo, commit, file }: { repo: string; commit: string; file: HubModelFile }) {
  const fileName = file.file.split('/').pop() ?? file.file;
  const active = useAppStore((s) => s.downloads.some((d) => d.fileName === fileName && ACTIVE_DOWNLOAD_STATES.includes(d.state)));
  // Installed = a model downloaded from this very repository file (its provenance), not any file of
  // that name; computed here from the library, so a finished download marks the row at once.
  const installed = useAppStore((s) => s.models.some((m) => m.provenance?.repo === repo && m.provenance.files[0] === file.file));
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      // The commit the listing was read at: the file downloaded is the one whose size and fit were shown.
      upsertDownload(await call('hub:download', { repo, file: file.file, revision: commit }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setStarting(false);
    }
  };
  return (
    <li className="catalog-row" data-testid="hub-file" data-file={file.file} data-fit={file.fit.kind}>
      <div className="catalog-main">
        <div className="catalog-title">
          <strong className="hub-file-name">{fileName}</strong>
          {installed && <span className="chip">Installed</span>}
        </div>
        <p className="catalog-facts">
          <span title="Size" data-testid="hub-file-size">
            {formatBytes(file.sizeBytes)}
          </span>
          {file.parts.length > 1 && <span title="A split model: every part is downloaded">{file.parts.length} parts</span>}
        </p>
        <FitBadge fit={file.fit} />
        {error && (
          <p className="field-error left" role="alert" data-testid="hub-download-error">
            {error}
          </p>
        )}
      </div>
      <button
        type="button"
        className="small"
        data-testid="hub-download"
        disabled={installed || active || starting}
        aria-label={`Download ${fileName}`}
        onClick={() => void start()}
      >
        {active ? 'In downloads' : installed ? 'Installed' : 'Download'}
      </button>
    </li>
  );
}

export function HubRepoView({ repo, onBack }: { repo: string; onBack: () => void }) {
  const [listing, setListing] = useState<HubRepo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const backRef = useRef<HTMLButtonElement>(null);
  useEffect(() => backRef.current?.focus(), []);
  useEffect(() => {
    let current = true;
    call('hub:repo', { repo }).then(
      (value) => current && (setListing(value), setError(null)),
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
    // The repository only: the library changing (a download finishing) must not list it again from the Hub.
  }, [repo]);
  return (
    <div className="hub-repo" data-testid="hub-repo" data-repo={repo}>
      <div className="hub-repo-head">
        <button type="button" ref={backRef} className="small button-secondary" data-testid="hub-back" onClick={onBack}>
          ← Results
        </button>
        <strong className="hub-repo-name">{repo}</strong>
        {listing?.gated && (
          <span className="chip chip-warn" data-testid="hub-gated">
            Gated: needs a token
          </span>
        )}
      </div>
      {listing && (
        <p className="catalog-facts">
          {listing.licence && <span>Licence: {listing.licence}</span>}
          {listing.commit && <span title={listing.commit}>Listed at commit {shortHash(listing.commit, 7)}</span>}
        </p>
      )}
      {listing?.gated && (
        <p className="muted small-text" data-testid="hub-gated-help">
          This repository is gated: accept its conditions on its Hugging Face page, then save a token in Settings → Hugging Face Hub.
        </p>
      )}
      {error && (
        <p className="field-error left" role="alert" data-testid="hub-error">
          {error}
        </p>
      )}
      {!listing && !error && <p className="muted">Reading the repository…</p>}
      {listing && listing.files.length === 0 && (
        <p className="muted" data-testid="hub-repo-empty">
          {listing.message ?? 'This repository has no GGUF chat model.'}
        </p>
      )}
      {listing && listing.files.length > 0 && listing.message && (
        <p className="muted small-text" data-testid="hub-repo-note">
          {listing.message}
        </p>
      )}
      {listing &&
        groupByQuantization(listing.files).map((group) => (
          <div key={group.quantization} className="hub-quant-group" data-testid="hub-quant-group" data-quantization={group.quantization}>
            <h4 className="hub-quant-title">{group.quantization}</h4>
            <ul className="catalog-list">
              {group.files.map((file) => (
                <FileRow key={file.file} repo={repo} commit={listing.commit} file={file} />
              ))}
            </ul>
          </div>
        ))}
    </div>
  );
}
