/** Downloads with their progress, speed and time left, and pause / resume / cancel. */
import { useState } from 'react';
import type { DownloadData } from '../../../shared/catalog';
import { call } from '../../ipc/api';
import { upsertDownload, useAppStore } from '../../stores/app-store';
import { downloadFigures, downloadStateText } from './model-text';

type Action = 'downloads:pause' | 'downloads:resume' | 'downloads:cancel';

function DownloadRow({ download }: { download: DownloadData }) {
  const [error, setError] = useState<string | null>(null);
  const act = async (action: Action) => {
    setError(null);
    try {
      upsertDownload(await call(action, { id: download.id }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const { state } = download;
  const running = state === 'downloading' || state === 'queued';
  const canResume = state === 'paused' || state === 'failed';
  const canCancel = running || state === 'paused' || state === 'failed';
  const label = `${download.fileName} download`;
  return (
    <li className={`download-row state-${state}`} data-testid={`download-${download.id}`} data-state={state} data-received={download.receivedBytes}>
      <div className="download-head">
        <strong className="download-name">{download.fileName}</strong>
        <span className="download-state" data-testid="download-state">
          {downloadStateText(state)}
        </span>
      </div>
      {state !== 'done' && state !== 'cancelled' && (
        <progress
          className="download-progress"
          aria-label={`${label} progress`}
          data-testid="download-progress"
          max={download.totalBytes ?? undefined}
          value={download.totalBytes === null ? undefined : download.receivedBytes}
        />
      )}
      <div className="download-foot">
        <span className="muted small-text" data-testid="download-figures">
          {downloadFigures(download)}
        </span>
        <span className="download-actions">
          {running && (
            <button
              type="button"
              className="small button-secondary"
              data-testid="download-pause"
              aria-label={`Pause ${label}`}
              onClick={() => void act('downloads:pause')}
            >
              Pause
            </button>
          )}
          {canResume && (
            <button type="button" className="small" data-testid="download-resume" aria-label={`Resume ${label}`} onClick={() => void act('downloads:resume')}>
              {state === 'failed' ? 'Retry' : 'Resume'}
            </button>
          )}
          {canCancel && (
            <button
              type="button"
              className="small button-secondary"
              data-testid="download-cancel"
              aria-label={`Cancel ${label}`}
              onClick={() => void act('downloads:cancel')}
            >
              Cancel
            </button>
          )}
        </span>
      </div>
      {download.error && state === 'failed' && (
        <p className="field-error left" role="alert" data-testid="download-error">
          {download.error.message}
        </p>
      )}
      {error && (
        <p className="field-error left" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function DownloadsSection() {
  const downloads = useAppStore((s) => s.downloads);
  if (downloads.length === 0) return null;
  return (
    <section className="models-section" aria-labelledby="models-downloads-title">
      <h3 id="models-downloads-title">Downloads</h3>
      <ul className="download-list" data-testid="download-list">
        {downloads.map((download) => (
          <DownloadRow key={download.id} download={download} />
        ))}
      </ul>
    </section>
  );
}
