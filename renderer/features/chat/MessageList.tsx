import { useEffect, useRef } from 'react';
import { useAppStore } from '../../stores/app-store';
import { Message } from './Message';

export function MessageList() {
  const ids = useAppStore((state) => state.messageIds);
  const lastText = useAppStore((state) => {
    const last = state.messageIds.at(-1);
    return last ? (state.messages[last]?.text.length ?? 0) : 0;
  });
  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [ids.length, lastText]);
  return (
    <section className="message-list" aria-live="polite" data-testid="message-list">
      {ids.length === 0 && <p className="empty">Ask Mai anything. Replies are generated on this machine.</p>}
      {ids.map((id) => (
        <Message key={id} id={id} />
      ))}
      <div ref={bottom} />
    </section>
  );
}
