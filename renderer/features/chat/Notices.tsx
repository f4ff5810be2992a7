import { useEffect } from 'react';
import { dismissNotice, useAppStore } from '../../stores/app-store';

/** In-app notices, newest last; info notices fade after 8 s, warnings and errors stay until closed. */
export function Notices() {
  const notices = useAppStore((state) => state.notices);
  useEffect(() => {
    const timers = notices.filter((n) => n.level === 'info').map((n) => setTimeout(() => dismissNotice(n.id), 8000));
    return () => timers.forEach(clearTimeout);
  }, [notices]);
  if (notices.length === 0) return null;
  return (
    <div className="notices" role="status">
      {notices.slice(-4).map((notice) => (
        <div key={notice.id} className={`notice notice-${notice.level}`} data-testid="notice" data-level={notice.level}>
          <span>{notice.message}</span>
          <button type="button" aria-label="Dismiss" onClick={() => dismissNotice(notice.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
