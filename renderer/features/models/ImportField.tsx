/**
 * Import a GGUF file from elsewhere on disk: its path typed in (the browser cannot tell a page a
 * file's path), or chosen with the desktop app's file dialog. Mai checks the file before listing it.
 */
import { useState } from 'react';
import { call } from '../../ipc/api';
import { useAppStore } from '../../stores/app-store';

type Status = { kind: 'idle' } | { kind: 'working' } | { kind: 'ok'; message: string } | { kind: 'error'; message: string };

export function ImportField() {
  const mode = useAppStore((s) => s.mode);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const importPath = async (path: string) => {
    setStatus({ kind: 'working' });
    try {
      const entry = await call('models:import', { path });
      setStatus({ kind: 'ok', message: `${entry.fileName} passed the check and was added.` });
      setText('');
    } catch (e) {
      setStatus({ kind: 'error', message: (e as Error).message });
    }
  };
  const choose = async () => {
    try {
      const { path } = await call('models:open-dialog', {});
      if (path) await importPath(path);
    } catch (e) {
      setStatus({ kind: 'error', message: (e as Error).message });
    }
  };
  return (
    <section className="models-section" aria-labelledby="models-import-title">
      <h3 id="models-import-title">Import a GGUF file</h3>
      <form
        className="import-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) void importPath(text.trim());
        }}
      >
        <label className="visually-hidden" htmlFor="import-path">
          Path of a GGUF file
        </label>
        <input
          id="import-path"
          type="text"
          className="wide"
          data-testid="import-path"
          placeholder="/path/to/model.gguf"
          spellCheck={false}
          value={text}
          aria-invalid={status.kind === 'error'}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="small" data-testid="import-submit" disabled={status.kind === 'working' || text.trim() === ''}>
          Import
        </button>
        {mode === 'electron' && (
          <button type="button" className="small button-secondary" data-testid="import-choose" onClick={() => void choose()}>
            Choose file…
          </button>
        )}
      </form>
      <p className="muted small-text">
        {mode === 'electron' ? 'Type a path or choose a file. ' : "In the browser, type the file's path. "}
        The file stays where it is; Mai checks its header before anything loads it.
      </p>
      {status.kind === 'ok' && (
        <p className="saved small-text" role="status" data-testid="import-ok">
          {status.message}
        </p>
      )}
      {status.kind === 'error' && (
        <p className="field-error left" role="alert" data-testid="import-error">
          {status.message}
        </p>
      )}
    </section>
  );
}
