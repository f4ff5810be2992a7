/** A bell with the unread count, opening a list of past notices and capability changes with their times. */
import { useEffect, useRef } from 'react';
import { formatClock } from '../../lib/format';
import { BellIcon } from '../../lib/icons';
import { clearHistory, setCentreOpen, useAppStore } from '../../stores/app-store';
import { HostText } from '../common/HostText';

export function NotificationCentre() {
  const open = useAppStore((s) => s.centreOpen);
  const unread = useAppStore((s) => s.unread);
  const history = useAppStore((s) => s.history);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setCentreOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setCentreOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return (
    <div className="centre" ref={root}>
      <button
        type="button"
        className={`icon-button bell${open ? ' active' : ''}`}
        data-testid="notification-bell"
        aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
        aria-expanded={open}
        title="Notifications"
        onClick={() => setCentreOpen(!open)}
      >
        <BellIcon />
        {unread > 0 && (
          <span className="badge-count" data-testid="notification-count">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div className="centre-popover" role="dialog" aria-label="Notifications" data-testid="notification-centre">
          <header className="centre-head">
            <span>Notifications</span>
            {history.length > 0 && (
              <button type="button" className="button-link" onClick={clearHistory}>
                Clear
              </button>
            )}
          </header>
          {history.length === 0 ? (
            <p className="centre-empty">Nothing yet. Model changes and notices are listed here.</p>
          ) : (
            <ol className="centre-list">
              {history.map((entry) => (
                <li
                  key={entry.id}
                  className={`centre-entry level-${entry.level}`}
                  data-testid="notification-entry"
                  data-kind={entry.kind}
                  data-direction={entry.direction}
                >
                  <span className="centre-marker" aria-hidden="true" />
                  <div className="centre-body">
                    <div className="centre-title">
                      {entry.kind === 'capability' && <span className="centre-tag">{entry.direction === 'down' ? 'Model down' : 'Model up'}</span>}
                      <HostText text={entry.title} />
                    </div>
                    {entry.detail && (
                      <div className="centre-detail">
                        <HostText text={entry.detail} />
                      </div>
                    )}
                  </div>
                  <time className="centre-time" dateTime={new Date(entry.at).toISOString()}>
                    {formatClock(entry.at)}
                  </time>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </div>
  );
}
