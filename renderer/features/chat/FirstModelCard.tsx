/**
 * The chat's "first real model" card: while only the demo models (which answer gibberish) are
 * installed, it offers the catalog model recommended for this machine with one Download button.
 * Nothing downloads without that click. The download shows its progress here; once main has checked
 * the file and it appears among the models (onModels, after validation and the ladder rebuild), the
 * card selects it and goes away. "Not now" is remembered in the settings (firstModelCardDismissed).
 */
import { useEffect, useState } from 'react';
import type { CatalogItem } from '../../../shared/catalog';
import { call } from '../../ipc/api';
import { setCatalog, setDownloads, setModelsOpen, setSettings, upsertDownload, useAppStore } from '../../stores/app-store';
import { useResourceStore } from '../../stores/resource-store';
import { FitBadge } from '../models/FitBadge';
import { ACTIVE_DOWNLOAD_STATES, catalogSize, downloadFigures, downloadStateText } from '../models/model-text';

/** What the card is doing; `selecting` waits for the downloaded file to appear among the models, `switching` loads it. */
type Phase =
  | { kind: 'offer' }
  | { kind: 'downloading'; downloadId: string; fileName: string }
  | { kind: 'selecting'; fileName: string }
  | { kind: 'switching'; fileName: string; path: string }
  | { kind: 'error'; message: string };

/** True while no model but the demo ones is installed (and the state has been read). */
function useOnlyDemoModels(): boolean {
  return useAppStore((s) => s.mode !== null && !s.models.some((m) => !m.synthetic));
}

function Offer({ pick, onDownload, starting }: { pick: CatalogItem; onDownload: () => void; starting: boolean }) {
  return (
    <>
      <p className="first-model-facts catalog-facts">
        <strong className="first-model-name" data-testid="first-model-name">
          {pick.name}
        </strong>
        <span>{pick.parameters}</span>
        <span data-testid="first-model-size">{catalogSize(pick)}</span>
        <span data-testid="first-model-licence">{pick.licence}</span>
      </p>
      <FitBadge fit={pick.fit} />
      <div className="first-model-actions">
        <button type="button" data-testid="first-model-download" disabled={starting} onClick={onDownload}>
          Download {pick.name} ({catalogSize(pick)})
        </button>
        <button type="button" className="button-link" data-testid="first-model-browse" onClick={() => setModelsOpen(true)}>
          Choose another model…
        </button>
      </div>
    </>
  );
}

export function FirstModelCard() {
  const onlyDemo = useOnlyDemoModels();
  const dismissed = useAppStore((s) => s.settings?.firstModelCardDismissed ?? null);
  const models = useAppStore((s) => s.models);
  const catalog = useAppStore((s) => s.catalog);
  const downloads = useAppStore((s) => s.downloads);
  const measured = useResourceStore((s) => s.snapshot !== null);
  const [phase, setPhase] = useState<Phase>({ kind: 'offer' });
  const [starting, setStarting] = useState(false);
  const busy = phase.kind !== 'offer';
  const visible = busy || (onlyDemo && dismissed === false);

  // The recommendation needs a resource sample; it is read again when one arrives.
  useEffect(() => {
    if (!visible) return;
    call('catalog:list', {}).then(setCatalog, () => {});
  }, [visible, measured]);
  // A download started before a restart (or from the models page) is picked up.
  useEffect(() => {
    if (!visible) return;
    call('downloads:list', {}).then(setDownloads, () => {});
  }, [visible]);

  const pick = catalog?.find((item) => item.recommended) ?? null;
  const resumed = phase.kind === 'offer' && pick ? downloads.find((d) => d.fileName === pick.file && ACTIVE_DOWNLOAD_STATES.includes(d.state)) : undefined;
  const tracked = phase.kind === 'downloading' ? downloads.find((d) => d.id === phase.downloadId) : undefined;

  useEffect(() => {
    if (resumed) setPhase({ kind: 'downloading', downloadId: resumed.id, fileName: resumed.fileName });
  }, [resumed?.id, resumed?.fileName]);

  // Download done → wait for the checked file among the models → select it.
  useEffect(() => {
    if (tracked?.state === 'done') setPhase({ kind: 'selecting', fileName: tracked.fileName });
    // Cancelled from the models page: offer it again.
    if (tracked?.state === 'cancelled') setPhase({ kind: 'offer' });
  }, [tracked?.state, tracked?.fileName]);
  useEffect(() => {
    if (phase.kind !== 'selecting') return;
    const installed = models.find((m) => !m.synthetic && m.fileName.toLowerCase() === phase.fileName.toLowerCase());
    if (installed) setPhase({ kind: 'switching', fileName: phase.fileName, path: installed.path });
  }, [phase, models]);
  // Keyed on the phase alone: the model list changes again when the switch records its use, and
  // that must not start a second switch.
  useEffect(() => {
    if (phase.kind !== 'switching') return;
    let current = true;
    call('models:select', { path: phase.path }).then(
      () => current && setPhase({ kind: 'offer' }),
      (e: Error) => current && setPhase({ kind: 'error', message: e.message }),
    );
    return () => {
      current = false;
    };
  }, [phase]);

  if (!visible) return null;

  const download = async () => {
    if (!pick) return;
    setStarting(true);
    try {
      const info = await call('downloads:start', { catalogId: pick.id });
      upsertDownload(info);
      setPhase({ kind: 'downloading', downloadId: info.id, fileName: info.fileName });
    } catch (e) {
      setPhase({ kind: 'error', message: (e as Error).message });
    } finally {
      setStarting(false);
    }
  };
  const dismiss = async () => {
    try {
      setSettings(await call('settings:update', { patch: { firstModelCardDismissed: true } }));
      // The card and its button are gone: keyboard focus goes where the user types.
      document.querySelector<HTMLElement>('[data-testid="composer-input"]')?.focus();
    } catch (e) {
      setPhase({ kind: 'error', message: (e as Error).message });
    }
  };

  return (
    <aside className="first-model-card" data-testid="first-model-card" data-phase={tracked ? 'downloading' : phase.kind} aria-labelledby="first-model-title">
      <div className="first-model-head">
        <h2 id="first-model-title">Get a real model</h2>
        {!tracked && phase.kind !== 'selecting' && phase.kind !== 'switching' && (
          <button type="button" className="button-link" data-testid="first-model-dismiss" onClick={() => void dismiss()}>
            Not now
          </button>
        )}
      </div>
      <p className="muted">The models installed now are small demos that answer gibberish. This one is chosen for this machine:</p>
      {tracked ? (
        <div className={`download-row state-${tracked.state}`} data-testid="first-model-progress" data-state={tracked.state}>
          <div className="download-head">
            <strong className="download-name" title={tracked.fileName}>
              {pick && pick.file === tracked.fileName ? pick.name : tracked.fileName}
            </strong>
            <span className="download-state" data-testid="download-state">
              {downloadStateText(tracked.state)}
            </span>
          </div>
          <progress
            className="download-progress"
            aria-label={`${tracked.fileName} download progress`}
            max={tracked.totalBytes ?? undefined}
            value={tracked.totalBytes === null ? undefined : tracked.receivedBytes}
          />
          <span className="muted small-text">{downloadFigures(tracked)}</span>
          {tracked.state === 'failed' && tracked.error && (
            <p className="field-error left" role="alert" data-testid="first-model-error">
              {tracked.error.message}
            </p>
          )}
          {(tracked.state === 'failed' || tracked.state === 'paused') && (
            <div className="first-model-actions">
              <button type="button" className="small" onClick={() => void call('downloads:resume', { id: tracked.id }).then(upsertDownload)}>
                {tracked.state === 'failed' ? 'Try again' : 'Resume'}
              </button>
            </div>
          )}
        </div>
      ) : phase.kind === 'selecting' || phase.kind === 'switching' ? (
        <p className="saved small-text" role="status" data-testid="first-model-selecting">
          Verified. Checking {phase.fileName} and switching to it…
        </p>
      ) : pick && phase.kind !== 'downloading' ? (
        <Offer pick={pick} onDownload={() => void download()} starting={starting} />
      ) : (
        <p className="muted" data-testid="first-model-measuring">
          {catalog && measured ? 'No catalog model fits in the memory free now; the Models page lists them all.' : 'Working out which model fits this machine…'}
        </p>
      )}
      {phase.kind === 'error' && (
        <p className="field-error left" role="alert" data-testid="first-model-error">
          {phase.message}
        </p>
      )}
      {pick && !tracked && phase.kind !== 'selecting' && phase.kind !== 'switching' && (
        <p className="muted small-text">From the Hugging Face Hub; every byte is checked against the SHA-256 the Hub states.</p>
      )}
    </aside>
  );
}
