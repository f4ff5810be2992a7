import { memo, useMemo, type MouseEvent } from 'react';
import { useAppStore } from '../../stores/app-store';
import { renderMarkdown } from './markdown';

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

export const Message = memo(function Message({ id }: { id: string }) {
  const message = useAppStore((state) => state.messages[id]);
  const html = useMemo(() => (message && message.role === 'assistant' ? renderMarkdown(message.text) : ''), [message]);
  if (!message) return null;
  const label = STATUS_LABEL[message.status];
  return (
    <article className={`message message-${message.role}`} data-testid={`message-${message.role}`} data-status={message.status}>
      {message.role === 'assistant' ? (
        // renderMarkdown escapes all HTML from the model; see markdown.ts.
        <div className="message-body markdown" onClick={onLinkClick} dangerouslySetInnerHTML={{ __html: html }} />
      ) : (
        <div className="message-body plain">{message.text}</div>
      )}
      {message.status === 'streaming' && <span className="cursor" aria-label="Mai is writing" />}
      {(label || message.stats) && (
        <footer className="message-meta">
          {label && <span className={`badge badge-${message.status}`}>{label}</span>}
          {message.error && <span className="message-error">{message.error}</span>}
          {message.stats && (
            <span>
              {message.model} · {message.stats.tokens} tokens · {message.stats.tokensPerSecond.toFixed(1)} tokens/s · first token{' '}
              {Math.round(message.stats.ttftMs)} ms
            </span>
          )}
        </footer>
      )}
    </article>
  );
});
