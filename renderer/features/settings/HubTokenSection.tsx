/**
 * The Hugging Face token: typed here, handed to main (which stores it encrypted where the OS can, and
 * sends it to the Hub's host only), never read back. The page only learns where the token in use
 * comes from, whether it is encrypted at rest, and which endpoint it goes to.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { HubTokenStatus } from '../../../shared/hub';
import { call } from '../../ipc/api';

type Outcome = { kind: 'ok' | 'error'; message: string } | null;

/** Where the token in use comes from, in words. */
export function tokenSourceText(status: HubTokenStatus): string {
  switch (status.source) {
    case 'settings':
      return 'A token saved here is in use.';
    case 'environment':
      return 'The token in the HF_TOKEN environment variable is in use.';
    case null:
      return 'No token: public models only. Gated models (those whose licence you accept on the Hub first) need one.';
    default:
      return status.source satisfies never;
  }
}

export function HubTokenSection() {
  const [status, setStatus] = useState<HubTokenStatus | null>(null);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  useEffect(() => {
    call('hub:token-status', {}).then(setStatus, (e: Error) => setOutcome({ kind: 'error', message: e.message }));
  }, []);

  const apply = async (value: string | null) => {
    setBusy(true);
    setOutcome(null);
    try {
      setStatus(await call('hub:set-token', { token: value }));
      setOutcome({ kind: 'ok', message: value === null ? 'Token forgotten.' : 'Token saved.' });
      // The field never keeps the token once main has it.
      setToken('');
    } catch (e) {
      setOutcome({ kind: 'error', message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (value) void apply(value);
  };

  return (
    <section className="settings-group" data-testid="hub-token-section" aria-labelledby="hub-token-title">
      <h3 id="hub-token-title">Hugging Face Hub</h3>
      <form className="setting-row" onSubmit={submit}>
        <div className="setting-text">
          <label className="setting-label" htmlFor="hub-token">
            Access token
          </label>
          <p className="setting-help">
            Needed only for gated models. Create a read token in your Hugging Face account settings; Mai stores it encrypted where the system allows and never
            shows it again.
          </p>
          {status && (
            <p className="setting-facts" data-testid="hub-token-status">
              <span data-testid="hub-token-source">{tokenSourceText(status)}</span>
              {status.encrypted === false && (
                <span data-testid="hub-token-unencrypted">
                  It is stored unencrypted (this system offers no keyring), in a file only your user account can read.
                </span>
              )}
              <span>
                Sent only to <strong data-testid="hub-endpoint">{status.endpoint}</strong>
              </span>
            </p>
          )}
          {outcome && (
            <p
              className={outcome.kind === 'error' ? 'field-error left' : 'saved small-text'}
              role={outcome.kind === 'error' ? 'alert' : 'status'}
              data-testid="hub-token-outcome"
            >
              {outcome.message}
            </p>
          )}
        </div>
        <div className="setting-control hub-token-control">
          <input
            id="hub-token"
            data-testid="hub-token-input"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder={status?.source === 'settings' ? 'Saved (type to replace)' : 'hf_…'}
            value={token}
            maxLength={1000}
            onChange={(e) => setToken(e.target.value)}
          />
          <button type="submit" className="small" data-testid="hub-token-save" disabled={busy || token.trim() === ''}>
            Save
          </button>
          <button
            type="button"
            className="small button-secondary"
            data-testid="hub-token-forget"
            disabled={busy || status?.source !== 'settings'}
            onClick={() => void apply(null)}
          >
            Forget
          </button>
        </div>
      </form>
    </section>
  );
}
