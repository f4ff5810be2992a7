import { useEffect } from 'react';
import { INFO_TOAST_MS } from '../notifications/capability';
import { dismissCapabilityToast, dismissNotice, useAppStore } from '../../stores/app-store';
import { HostText } from '../common/HostText';

/** Capability changes: a warning that stays for a smaller model, a quiet note that fades for a bigger one. */
function CapabilityToasts() {
  const toasts = useAppStore((state) => state.capabilityToasts);
  useEffect(() => {
    const timers = toasts.filter((t) => t.level === 'info').map((t) => setTimeout(() => dismissCapabilityToast(t.id), INFO_TOAST_MS));
    return () => timers.forEach(clearTimeout);
  }, [toasts]);
  return (
    <>
      {toasts.slice(-2).map((toast) => (
        <div
          key={toast.id}
          className={`notice capability capability-${toast.direction} notice-${toast.level}`}
          data-testid="capability-notice"
          data-direction={toast.direction}
          role={toast.direction === 'down' ? 'alert' : 'status'}
        >
          <span className="notice-icon" aria-hidden="true">
            {toast.direction === 'down' ? '↓' : '↑'}
          </span>
          <div className="notice-body">
            <div className="capability-what" data-testid="capability-what">
              <HostText text={toast.what} />
            </div>
            {toast.why && (
              <div className="capability-why" data-testid="capability-why">
                <span className="muted">Why:</span> <HostText text={toast.why} />
              </div>
            )}
            {toast.bringBack && (
              <div className="capability-back" data-testid="capability-bring-back">
                {toast.bringBack}
              </div>
            )}
          </div>
          <button type="button" className="icon-button" aria-label="Dismiss" data-testid="capability-dismiss" onClick={() => dismissCapabilityToast(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </>
  );
}

/** In-app notices, newest last; info notices fade after 8 s, warnings and errors stay until closed. */
export function Notices() {
  const notices = useAppStore((state) => state.notices);
  const toasts = useAppStore((state) => state.capabilityToasts.length);
  useEffect(() => {
    const timers = notices.filter((n) => n.level === 'info').map((n) => setTimeout(() => dismissNotice(n.id), 8000));
    return () => timers.forEach(clearTimeout);
  }, [notices]);
  if (notices.length === 0 && toasts === 0) return null;
  return (
    <div className="notices" role="status">
      <CapabilityToasts />
      {notices.slice(-4).map((notice) => (
        <div key={notice.id} className={`notice notice-${notice.level}`} data-testid="notice" data-level={notice.level}>
          <span className="notice-icon" aria-hidden="true">
            {notice.level === 'error' ? '!' : notice.level === 'warn' ? '!' : 'i'}
          </span>
          <span className="notice-body">
            <HostText text={notice.message} />
          </span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismissNotice(notice.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
