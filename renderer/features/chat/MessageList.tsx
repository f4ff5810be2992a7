import { useEffect, useLayoutEffect, useRef } from 'react';
import { useAppStore } from '../../stores/app-store';
import { Message } from './Message';

/** Within this many pixels of the bottom, the list follows new text. */
const STICK_PX = 48;

export function MessageList() {
  const ids = useAppStore((state) => state.messageIds);
  const lastAssistant = useAppStore((state) => {
    for (let i = state.messageIds.length - 1; i >= 0; i -= 1) {
      const id = state.messageIds[i] ?? '';
      if (state.messages[id]?.role === 'assistant') return id;
    }
    return null;
  });
  const lastText = useAppStore((state) => {
    const last = state.messageIds.at(-1);
    return last ? (state.messages[last]?.text.length ?? 0) : 0;
  });
  const list = useRef<HTMLElement>(null);
  const stick = useRef(true);
  const frame = useRef<number | null>(null);

  useEffect(() => {
    const element = list.current;
    if (!element) return;
    const onScroll = () => {
      stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_PX;
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);

  // A new message (sent or opened) always brings the bottom into view.
  useLayoutEffect(() => {
    stick.current = true;
  }, [ids.length]);

  // Follow the text at most once per frame, and only while the reader is at the bottom: no forced
  // layout per token (scrollIntoView on every change cost more than everything else together).
  useEffect(() => {
    if (!stick.current || frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      const element = list.current;
      if (element && stick.current) element.scrollTop = element.scrollHeight;
    });
  }, [ids.length, lastText]);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  return (
    <section className="message-list" aria-live="polite" data-testid="message-list" ref={list}>
      <div className="message-column">
        {ids.length === 0 && (
          <div className="empty">
            <p className="empty-title">Ask Mai anything.</p>
            <p>Replies are generated on this machine; Mai picks the biggest model your resources allow.</p>
          </div>
        )}
        {ids.map((id) => (
          <Message key={id} id={id} last={id === lastAssistant} />
        ))}
      </div>
    </section>
  );
}
