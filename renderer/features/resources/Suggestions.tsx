/**
 * Optimisation suggestions from main, each with its figure; those Mai can carry out have a button.
 * The list is main's: a suggestion goes when its cause does (main sends the new list).
 */
import { useState } from 'react';
import type { Suggestion } from '../../../shared/domain';
import { call } from '../../ipc/api';
import { setSettings, setSuggestionResult, useAppStore } from '../../stores/app-store';

function SuggestionItem({ suggestion }: { suggestion: Suggestion }) {
  const result = useAppStore((s) => s.suggestionResults[suggestion.id]);
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    setBusy(true);
    try {
      const result = await call('suggestions:apply', { id: suggestion.id });
      setSuggestionResult(suggestion.id, result);
      // An applied suggestion may have changed a setting; main sends no event for that.
      if (result.applied) call('settings:get', {}).then(setSettings, () => {});
    } catch (error) {
      setSuggestionResult(suggestion.id, { applied: false, message: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="suggestion" data-testid="suggestion" data-kind={suggestion.kind} data-id={suggestion.id}>
      <div className="suggestion-title">{suggestion.title}</div>
      <p className="suggestion-detail" data-testid="suggestion-detail">
        {suggestion.detail}
      </p>
      {suggestion.action && (
        <div className="suggestion-actions">
          <button type="button" className="button-secondary small" data-testid="suggestion-apply" disabled={busy} onClick={() => void apply()}>
            {busy ? 'Working…' : suggestion.action.label}
          </button>
        </div>
      )}
      {result && (
        <p className={`suggestion-result ${result.applied ? 'ok' : 'failed'}`} data-testid="suggestion-result" data-applied={result.applied}>
          {result.message}
        </p>
      )}
    </li>
  );
}

/** Results of suggestions that have since gone, so the answer to a click is not lost with it. */
function OrphanResults() {
  const suggestions = useAppStore((s) => s.suggestions);
  const results = useAppStore((s) => s.suggestionResults);
  const orphans = Object.entries(results).filter(([id]) => !suggestions.some((s) => s.id === id));
  if (orphans.length === 0) return null;
  return (
    <>
      {orphans.slice(-2).map(([id, result]) => (
        <p key={id} className={`suggestion-result ${result.applied ? 'ok' : 'failed'}`} data-testid="suggestion-result" data-applied={result.applied}>
          {result.message}
        </p>
      ))}
    </>
  );
}

export function Suggestions() {
  const suggestions = useAppStore((s) => s.suggestions);
  const hasResults = useAppStore((s) => Object.keys(s.suggestionResults).length > 0);
  if (suggestions.length === 0 && !hasResults) return null;
  return (
    <section className="card" data-testid="suggestions">
      <div className="card-row">
        <span className="card-title">Suggestions</span>
      </div>
      {suggestions.length > 0 && (
        <ul className="suggestion-list">
          {suggestions.map((suggestion) => (
            <SuggestionItem key={suggestion.id} suggestion={suggestion} />
          ))}
        </ul>
      )}
      <OrphanResults />
    </section>
  );
}
