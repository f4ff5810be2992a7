/**
 * Search the Hugging Face Hub for GGUF models (main asks the Hub; the page never talks to it). The
 * box searches as the user types, after a pause; "More results" continues with the Hub's cursor;
 * opening a result lists the repository's models (HubRepoView). Everything the Hub sends is shown as
 * text: React escapes it, and nothing here renders HTML.
 */
import { useEffect, useRef, useState } from 'react';
import type { HubModelSummary } from '../../../shared/hub';
import { call } from '../../ipc/api';
import { HubRepoView } from './HubRepoView';
import { compactCount, updatedText } from './model-text';

/** Pause after the last key before searching, ms: one request per word typed, not per letter. */
export const SEARCH_DEBOUNCE_MS = 350;
/** Shorter queries are not sent (the Hub would answer with most of its GGUF repositories). */
const MIN_QUERY_LENGTH = 2;

interface Results {
  query: string;
  items: HubModelSummary[];
  nextCursor: string | null;
}

function ResultRow({ item, onOpen }: { item: HubModelSummary; onOpen: (repo: string) => void }) {
  const updated = updatedText(item.lastModified);
  return (
    <li className="hub-result" data-testid="hub-result" data-repo={item.repo}>
      <button type="button" className="hub-result-open" aria-label={`Open ${item.repo}`} onClick={() => onOpen(item.repo)}>
        <span className="catalog-title">
          <strong className="hub-repo-name">{item.repo}</strong>
          {item.gated && (
            <span className="chip chip-warn" data-testid="hub-gated" title="The Hub asks you to accept its conditions first; downloading needs a token.">
              Gated
            </span>
          )}
        </span>
        <span className="catalog-facts">
          {item.downloads !== null && <span data-testid="hub-downloads">{compactCount(item.downloads)} downloads</span>}
          {item.likes !== null && <span data-testid="hub-likes">{compactCount(item.likes)} likes</span>}
          {updated && <span data-testid="hub-updated">{updated}</span>}
          {item.licence && <span data-testid="hub-licence">{item.licence}</span>}
        </span>
      </button>
    </li>
  );
}

export function HubSearch() {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [openRepo, setOpenRepo] = useState<string | null>(null);
  // Answers can come back out of order: only the newest request's answer is shown.
  const sequence = useRef(0);
  const inputRef = useRef<HTMLInputElement>(null);

  const search = async (text: string, cursor: string | null) => {
    const mine = ++sequence.current;
    setSearching(true);
    setError(null);
    try {
      const page = await call('hub:search', { query: text, cursor });
      if (mine !== sequence.current) return;
      setResults((before) => ({
        query: text,
        items: cursor && before?.query === text ? [...before.items, ...page.items] : page.items,
        nextCursor: page.nextCursor,
      }));
    } catch (e) {
      if (mine === sequence.current) setError((e as Error).message);
    } finally {
      if (mine === sequence.current) setSearching(false);
    }
  };

  useEffect(() => {
    const text = query.trim();
    if (text.length < MIN_QUERY_LENGTH) {
      sequence.current += 1;
      setResults(null);
      setSearching(false);
      setError(null);
      return;
    }
    const timer = setTimeout(() => void search(text, null), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);

  const close = () => {
    setOpenRepo(null);
    // Back to the list where the user left it.
    requestAnimationFrame(() => inputRef.current?.focus());
  };

  return (
    <section className="models-section" aria-labelledby="models-hub-title">
      <h3 id="models-hub-title">Search the Hugging Face Hub</h3>
      {openRepo ? (
        <HubRepoView repo={openRepo} onBack={close} />
      ) : (
        <>
          <div className="hub-search-row">
            <input
              ref={inputRef}
              type="search"
              className="hub-search-input"
              data-testid="hub-search"
              aria-label="Search the Hugging Face Hub for GGUF models"
              placeholder="Search GGUF models, e.g. qwen3 or llama 3.2"
              value={query}
              maxLength={200}
              onChange={(e) => setQuery(e.target.value)}
            />
            <span className="muted small-text" aria-live="polite" data-testid="hub-search-status">
              {searching ? 'Searching…' : results ? `${results.items.length}${results.nextCursor ? '+' : ''} found` : ''}
            </span>
          </div>
          {error && (
            <p className="field-error left" role="alert" data-testid="hub-error">
              {error}
            </p>
          )}
          {results && results.items.length === 0 && !searching && (
            <p className="muted" data-testid="hub-no-results">
              No GGUF model on the Hub matches “{results.query}”.
            </p>
          )}
          {results && results.items.length > 0 && (
            <ul className="hub-results" data-testid="hub-results">
              {results.items.map((item) => (
                <ResultRow key={item.repo} item={item} onOpen={setOpenRepo} />
              ))}
            </ul>
          )}
          {results?.nextCursor && (
            <button
              type="button"
              className="small button-secondary hub-more"
              data-testid="hub-more"
              disabled={searching}
              onClick={() => void search(results.query, results.nextCursor)}
            >
              More results
            </button>
          )}
        </>
      )}
    </section>
  );
}
