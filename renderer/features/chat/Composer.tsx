import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { call } from '../../ipc/api';
import { pushNotice, setDraft, useAppStore } from '../../stores/app-store';
import { stopReply } from './actions';

export function Composer() {
  const draft = useAppStore((state) => state.draft);
  const generating = useAppStore((state) => state.generating);
  const [sending, setSending] = useState(false);

  const send = async () => {
    if (sending || generating) return;
    setSending(true);
    try {
      await call('chat:send', { text: draft });
      setDraft('');
    } catch (error) {
      // The draft stays in the box: nothing typed is lost.
      pushNotice({ level: 'error', message: (error as Error).message });
    } finally {
      setSending(false);
    }
  };
  const stop = stopReply;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    } else if (event.key === 'Escape' && generating) {
      // Handled here; the window-level Escape handler sees defaultPrevented and does not stop twice.
      event.preventDefault();
      stop();
    }
  };
  return (
    <form className="composer" onSubmit={onSubmit}>
      <div className="composer-box">
        <textarea
          data-testid="composer-input"
          aria-label="Message"
          placeholder="Message Mai (Enter to send, Shift+Enter for a new line)"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
          rows={2}
        />
        {generating ? (
          <button type="button" className="stop" data-testid="stop-button" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit" data-testid="send-button" disabled={sending}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}
