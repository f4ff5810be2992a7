import { memo, useMemo, useRef, useState, type MouseEvent } from 'react';
import { CopyIcon, RetryIcon } from '../../lib/icons';
import { shortcutLabel } from '../../lib/shortcuts';
import { useAppStore } from '../../stores/app-store';
import { HostText } from '../common/HostText';
import { copyText, regenerate } from './actions';
import { appendBlocks, renderMarkdown } from './markdown';

/** Links in model output open only after the user confirms (Electron's main confirms itself). */
function onLinkClick(event: MouseEvent<HTMLDivElement>): void {
  const anchor = (event.target as HTMLElement).closest('a');
  if (!anchor) return;
  event.preventDefault();
  const href = anchor.getAttribute('href') ?? '';
  if (!/^https?:/i.test(href)) return;
  if (window.mai) {
    window.open(href, '_blank', 'noopener,noreferrer');
  } else if (window.confirm(`Open this link in a new tab?\n\n${href}`)) {
    window.open(href, '_blank', 'noopener,noreferrer');
  }
}

const STATUS_LABEL: Record<string, string> = {
  stopped: 'Stopped',
  interrupted: 'Interrupted',
  error: 'Failed',
};

const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    setState((await copyText(text)) ? 'copied' : 'failed');
    setTimeout(() => setState('idle'), 1500);
  };
  return (
    <button type="button" className="message-action" data-testid="copy-reply" data-state={state} onClick={() => void copy()} title="Copy the reply">
      <CopyIcon />
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}

/** One markdown block; unchanged blocks of a streaming reply are not rendered again. */
const MarkdownBlock = memo(function MarkdownBlock({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  // renderMarkdown escapes all HTML from the model; see markdown.ts.
  return <div className="md-block" dangerouslySetInnerHTML={{ __html: html }} />;
});

export const Message = memo(function Message({ id, last }: { id: string; last: boolean }) {
  const message = useAppStore((state) => state.messages[id]);
  // Only the last reply cares whether Mai is answering (for its Regenerate button).
  const generating = useAppStore((state) => last && state.generating);
  const text = message?.role === 'assistant' ? message.text : '';
  // While a reply streams, only its last block is split and rendered again.
  const split = useRef<{ text: string; blocks: string[] }>({ text: '', blocks: [] });
  const blocks = useMemo(() => {
    const next = text ? appendBlocks(split.current, text) : [];
    split.current = { text, blocks: next };
    return next;
  }, [text]);
  if (!message) return null;
  const label = STATUS_LABEL[message.status];
  const assistant = message.role === 'assistant';
  const finished = message.status !== 'streaming';
  return (
    <article className={`message message-${message.role}`} data-testid={`message-${message.role}`} data-status={message.status} data-id={message.id}>
      {assistant ? (
        <div className="message-body markdown" onClick={onLinkClick}>
          {blocks.map((block, index) => (
            <MarkdownBlock key={index} text={block} />
          ))}
        </div>
      ) : (
        <div className="message-body plain">{message.text}</div>
      )}
      {message.status === 'streaming' && <span className="cursor" aria-label="Mai is writing" />}
      {message.note && <p className="message-note">{message.note}</p>}
      {(label || message.stats || (assistant && finished)) && (
        <footer className="message-meta">
          {label && <span className={`badge badge-${message.status}`}>{label}</span>}
          {message.error && <span className="message-error">{message.error}</span>}
          {message.stats && (
            <span className="message-stats">
              {message.model !== undefined && <HostText text={message.model} />} · {message.stats.tokens} tokens · {message.stats.tokensPerSecond.toFixed(1)}{' '}
              tokens/s · first token {Math.round(message.stats.ttftMs)} ms
            </span>
          )}
          {assistant && finished && (
            <span className="message-actions">
              {message.text && <CopyButton text={message.text} />}
              {last && !generating && (
                <button
                  type="button"
                  className="message-action"
                  data-testid="regenerate-reply"
                  onClick={regenerate}
                  title={`Regenerate (${shortcutLabel('regenerate', mac)})`}
                >
                  <RetryIcon />
                  Regenerate
                </button>
              )}
            </span>
          )}
        </footer>
      )}
    </article>
  );
});
