import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getMai } from './ipc/api';
import { bindMai, refreshState } from './ipc/binder';
import { pushNotice, setConnection } from './stores/app-store';
import './styles.css';

let connected = Boolean(window.mai);
let attempt = 0;
let retry: ReturnType<typeof setTimeout> | undefined;
/** Loads the whole state; a failure is said once and retried (with backoff) while connected. */
const reload = (): void => {
  clearTimeout(retry);
  refreshState().then(
    () => {
      attempt = 0;
    },
    (error: Error) => {
      if (attempt === 0) pushNotice({ level: 'error', message: `Could not reach Mai: ${error.message}` });
      attempt += 1;
      if (connected) retry = setTimeout(reload, Math.min(5000, 250 * 2 ** attempt));
    },
  );
};
const mai = getMai((isConnected) => {
  connected = isConnected;
  setConnection(isConnected);
  // After a reconnect the host may have moved on: take its whole state again.
  if (isConnected) reload();
});
bindMai(mai);
if (window.mai) reload();

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
