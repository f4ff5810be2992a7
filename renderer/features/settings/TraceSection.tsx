/**
 * Settings → "Record a trace": records what the resource monitor sees and what the scaler decides
 * into a file `npm run simulate` replays, for a bug report. The file holds resource samples,
 * settings, model sizes and decisions only, never conversation text. Electron shows the file in
 * the system's file manager; the browser shows its path with a copy button.
 */
import { useEffect, useState } from 'react';
import type { TraceStatus } from '../../../shared/trace-recording';
import { call, getMai } from '../../ipc/api';
import { formatBytes } from '../../lib/format';
import { useAppStore } from '../../stores/app-store';
import { copyText } from '../chat/actions';

/** How often the counters refresh while recording, ms (the engine pushes only starts and stops). */
const REFRESH_MS = 2000;

/** The recording's state in a sentence. */
export function traceStatusText(status: TraceStatus): string {
  if (status.recording)
    return `Recording: ${status.samples} samples, ${status.decisions} decisions, ${formatBytes(status.bytes)} of ${formatBytes(status.maxBytes)}.`;
  if (status.stopReason === 'failed') return status.note ?? 'The trace could not be written.';
  if (status.path && status.stopReason) return `Saved ${status.samples} samples and ${status.decisions} decisions.${status.note ? ` ${status.note}` : ''}`;
  return `Not recording. A recording stops by itself at ${formatBytes(status.maxBytes)}.`;
}

export function TraceSection() {
  const mode = useAppStore((s) => s.mode);
  const [status, setStatus] = useState<TraceStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  useEffect(() => {
    call('trace:status', {}).then(setStatus, (e: Error) => setMessage({ kind: 'error', text: e.message }));
    return getMai().on('onTraceStatus', setStatus);
  }, []);
  const recording = status?.recording ?? false;
  useEffect(() => {
    if (!recording) return;
    const timer = setInterval(() => void call('trace:status', {}).then(setStatus, () => {}), REFRESH_MS);
    return () => clearInterval(timer);
  }, [recording]);

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await action();
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const saved = status && !status.recording && status.path && status.stopReason && status.stopReason !== 'failed' ? status.path : null;

  return (
    <section className="settings-group" data-testid="trace-section" aria-labelledby="trace-title">
      <h3 id="trace-title">Record a trace</h3>
      <div className="setting-row">
        <div className="setting-text">
          <p className="setting-help">
            Records what Mai measures (memory, CPU, memory stalls, swap) and what it decides about models into a file you can attach to a bug report: `npm run
            simulate` replays it to the same decisions. It holds numbers, settings and model sizes only, never your conversations.
          </p>
          {status && (
            <p className="setting-facts" role="status" data-testid="trace-status">
              {traceStatusText(status)}
            </p>
          )}
          {saved && (
            <p className="setting-facts">
              <span>
                File: <code data-testid="trace-path">{saved}</code>
              </span>
            </p>
          )}
          {message && (
            <p
              className={message.kind === 'error' ? 'field-error left' : 'saved small-text'}
              role={message.kind === 'error' ? 'alert' : 'status'}
              data-testid="trace-message"
            >
              {message.text}
            </p>
          )}
        </div>
        <div className="setting-control">
          {recording ? (
            <button
              type="button"
              className="small"
              data-testid="trace-stop"
              disabled={busy}
              onClick={() => void run(async () => setStatus(await call('trace:stop', {})))}
            >
              Stop recording
            </button>
          ) : (
            <button
              type="button"
              className="small"
              data-testid="trace-start"
              disabled={busy}
              onClick={() => void run(async () => setStatus(await call('trace:start', {})))}
            >
              Record
            </button>
          )}
          {saved &&
            (mode === 'electron' ? (
              <button type="button" className="small button-secondary" data-testid="trace-reveal" onClick={() => void run(() => call('trace:reveal', {}))}>
                Show file
              </button>
            ) : (
              <button
                type="button"
                className="small button-secondary"
                data-testid="trace-copy-path"
                onClick={() =>
                  void copyText(saved).then((ok) =>
                    setMessage(
                      ok ? { kind: 'ok', text: 'Path copied.' } : { kind: 'error', text: 'The browser refused the clipboard; select the path and copy it.' },
                    ),
                  )
                }
              >
                Copy path
              </button>
            ))}
        </div>
      </div>
    </section>
  );
}
