/**
 * "Use a bigger machine": servers on other machines (llama-server, vLLM, Ollama, LM Studio; any
 * OpenAI-compatible API) whose models become rungs of the ladder, and the policy that says where
 * they go. The API key is typed here and handed to main, which keeps it encrypted where the OS can
 * and sends it to that server only; the page never reads it back (only whether one is saved). Model
 * ids come from the server: shown as text only.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { RemotePolicy, RemoteProbeResult } from '../../../shared/remote';
import { call } from '../../ipc/api';
import { refreshLadder } from '../../ipc/binder';
import { setRemoteView, useRemoteStore } from '../../stores/remote-store';
import { RemoteServers } from './RemoteServers';

type Outcome = { kind: 'ok' | 'error'; message: string } | null;

/** The three policies, each with its one-line explanation. */
export const POLICIES: ReadonlyArray<{ value: RemotePolicy; label: string; help: string }> = [
  { value: 'local-only', label: 'This machine only', help: 'Nothing is sent anywhere; the servers below are not used.' },
  {
    value: 'local-first',
    label: 'This machine first, a server when short',
    help: 'When memory runs short, Mai moves to a healthy server instead of a much smaller model here.',
  },
  { value: 'remote-first', label: 'A server first', help: 'Replies come from a healthy server; the models here are the fallback when it fails.' },
];

/** What a Test connection found, in words. */
export function probeFacts(result: RemoteProbeResult): string {
  const parts = [`Reachable in ${Math.round(result.rttMs)} ms`, `${result.models.length} model${result.models.length === 1 ? '' : 's'}`];
  if (result.contextSize !== null) parts.push(`context ${result.contextSize.toLocaleString('en')} tokens`);
  if (result.slots !== null) parts.push(`${result.slots} slot${result.slots === 1 ? '' : 's'}`);
  return `${parts.join(' · ')}.`;
}

function PolicyChoice() {
  const policy = useRemoteStore((s) => s.view?.policy ?? 'local-only');
  // Shown at once; main answers once the ladder is rebuilt around the choice (a model may load).
  const [pending, setPending] = useState<RemotePolicy | null>(null);
  const [error, setError] = useState<string | null>(null);
  const choose = async (next: RemotePolicy) => {
    if (next === policy) return;
    setPending(next);
    setError(null);
    try {
      setRemoteView(await call('remote:set-policy', { policy: next }));
      void refreshLadder();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPending(null);
    }
  };
  return (
    <fieldset className="remote-policy" data-testid="remote-policy" data-value={policy} disabled={pending !== null}>
      <legend className="setting-label">Where replies come from</legend>
      {POLICIES.map((option) => (
        <label key={option.value} className="radio-row">
          <input
            type="radio"
            name="remote-policy"
            value={option.value}
            data-testid={`remote-policy-${option.value}`}
            checked={(pending ?? policy) === option.value}
            onChange={() => void choose(option.value)}
          />
          <span>
            <strong>{option.label}</strong>
            <span className="setting-help">{option.help}</span>
          </span>
        </label>
      ))}
      {pending && <span className="muted small-text">Saving…</span>}
      {error && (
        <p className="field-error left" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** The form for one server: address, key, Test connection, the models to use. */
function ServerForm({ editing, onDone }: { editing: { baseUrl: string; models: string[]; hasApiKey: boolean } | null; onDone: () => void }) {
  const [baseUrl, setBaseUrl] = useState(editing?.baseUrl ?? '');
  const [apiKey, setApiKey] = useState('');
  const [probe, setProbe] = useState<RemoteProbeResult | null>(null);
  const [chosen, setChosen] = useState<string[]>(editing?.models ?? []);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  useEffect(() => {
    setBaseUrl(editing?.baseUrl ?? '');
    setChosen(editing?.models ?? []);
    setProbe(null);
    setOutcome(null);
    setApiKey('');
  }, [editing]);

  const edited = editing ? { previousBaseUrl: editing.baseUrl } : {};
  const test = async () => {
    setBusy('test');
    setOutcome(null);
    setProbe(null);
    try {
      // While editing, main tries the edited server's key when the address moved to another origin.
      const result = await call('remote:test', { baseUrl: baseUrl.trim(), ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}), ...edited });
      setProbe(result);
      // A server with one model: that one is what the user means.
      if (result.models.length === 1 && chosen.length === 0) setChosen([...result.models]);
    } catch (e) {
      setOutcome({ kind: 'error', message: (e as Error).message });
    } finally {
      setBusy(null);
    }
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy('save');
    setOutcome(null);
    try {
      // `previousBaseUrl`: the edited entry is replaced (and its key follows a new address), not kept beside this one.
      setRemoteView(await call('remote:save', { baseUrl: baseUrl.trim(), models: chosen, ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}), ...edited }));
      // The field never keeps the key once main has it; the form is ready for another server.
      setApiKey('');
      setBaseUrl('');
      setChosen([]);
      setProbe(null);
      setOutcome({ kind: 'ok', message: 'Server saved.' });
      void refreshLadder();
      onDone();
    } catch (e) {
      setOutcome({ kind: 'error', message: (e as Error).message });
    } finally {
      setBusy(null);
    }
  };
  const listed = probe?.models ?? [];
  // Chosen before but not listed in this test: still shown, so unticking it is possible.
  const models = [...listed, ...chosen.filter((m) => !listed.includes(m))];
  const toggle = (model: string, on: boolean) => setChosen(on ? [...chosen, model] : chosen.filter((m) => m !== model));
  return (
    <form className="setting-row remote-form" data-testid="remote-form" onSubmit={save}>
      <div className="setting-text">
        <label className="setting-label" htmlFor="remote-url">
          {editing ? 'Change the server' : 'Add a server'}
        </label>
        <p className="setting-help">The address of llama-server, vLLM, Ollama or LM Studio’s server, e.g. http://192.168.1.20:8080.</p>
        {probe && (
          <div className="remote-probe" data-testid="remote-test-result">
            <p className="saved small-text" data-testid="remote-test-facts">
              {probeFacts(probe)}
            </p>
            {probe.warning && (
              <p className="field-warning" role="alert" data-testid="remote-warning">
                {probe.warning}
              </p>
            )}
          </div>
        )}
        {models.length > 0 && (
          <fieldset className="remote-models" data-testid="remote-models">
            <legend className="setting-help">Models to use as rungs</legend>
            {models.map((model) => (
              <label key={model} className="checkbox-row">
                <input
                  type="checkbox"
                  data-testid="remote-model"
                  data-model={model}
                  checked={chosen.includes(model)}
                  onChange={(e) => toggle(model, e.target.checked)}
                />
                <span className="model-id">{model}</span>
              </label>
            ))}
          </fieldset>
        )}
        {outcome && (
          <p
            className={outcome.kind === 'error' ? 'field-error left' : 'saved small-text'}
            role={outcome.kind === 'error' ? 'alert' : 'status'}
            data-testid={outcome.kind === 'error' ? 'remote-error' : 'remote-outcome'}
          >
            {outcome.message}
          </p>
        )}
      </div>
      <div className="setting-control hub-token-control">
        <input
          id="remote-url"
          data-testid="remote-url"
          type="url"
          spellCheck={false}
          placeholder="http://192.168.1.20:8080"
          value={baseUrl}
          maxLength={2000}
          onChange={(e) => setBaseUrl(e.target.value)}
        />
        <input
          data-testid="remote-key"
          aria-label="API key (optional)"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder={editing?.hasApiKey ? 'Key saved (type to replace)' : 'API key (optional)'}
          value={apiKey}
          maxLength={4096}
          onChange={(e) => setApiKey(e.target.value)}
        />
        <button
          type="button"
          className="small button-secondary"
          data-testid="remote-test"
          disabled={busy !== null || baseUrl.trim() === ''}
          onClick={() => void test()}
        >
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="submit" className="small" data-testid="remote-save" disabled={busy !== null || baseUrl.trim() === ''}>
          Save
        </button>
        {editing && (
          <button type="button" className="small button-secondary" onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function RemoteSection() {
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ baseUrl: string; models: string[]; hasApiKey: boolean } | null>(null);
  useEffect(() => {
    call('remote:list', {}).then(setRemoteView, (e: Error) => setLoadError(e.message));
  }, []);
  return (
    <section className="settings-group remote-section" data-testid="remote-section" aria-labelledby="remote-title">
      <h3 id="remote-title">Use a bigger machine</h3>
      <p className="setting-help">
        A desktop or server on your network can serve a larger model than this machine holds. Mai uses its models as rungs of the ladder, says “on &lt;host&gt;”
        wherever such a model is named, and falls back to a model here when the server fails.
      </p>
      {loadError && (
        <p className="field-error left" role="alert">
          {loadError}
        </p>
      )}
      <PolicyChoice />
      <RemoteServers onEdit={setEditing} />
      <ServerForm editing={editing} onDone={() => setEditing(null)} />
    </section>
  );
}
