/**
 * A page shown over the chat (settings, models): focused when it opens, closed by Escape, by a
 * click on the backdrop or by its close button.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { CloseIcon } from '../../lib/icons';

export interface ModalProps {
  /** Id stem: `${id}-title` labels the dialog, `${id}-close` is the close button's test id. */
  id: string;
  title: string;
  className: string;
  testId: string;
  footer: ReactNode;
  onClose: () => void;
  children: ReactNode;
}

export function Modal({ id, title, className, testId, footer, onClose, children }: ModalProps) {
  const dialog = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    dialog.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented) close.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal ${className}`} role="dialog" aria-modal="true" aria-labelledby={`${id}-title`} data-testid={testId} tabIndex={-1} ref={dialog}>
        <header className="modal-head">
          <h2 id={`${id}-title`}>{title}</h2>
          <button type="button" className="icon-button" aria-label={`Close ${title.toLowerCase()}`} data-testid={`${id}-close`} onClick={onClose}>
            <CloseIcon />
          </button>
        </header>
        <div className="modal-body">{children}</div>
        <footer className="modal-foot muted small-text">{footer}</footer>
      </div>
    </div>
  );
}
