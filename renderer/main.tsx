import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getMai } from './ipc/api';
import { bindMai, refreshState } from './ipc/binder';
import { pushNotice, setConnection } from './stores/app-store';
import './styles.css';

const reload = () => refreshState().catch((error: Error) => pushNotice({ level: 'error', message: `Could not reach Mai: ${error.message}` }));
const mai = getMai((connected) => {
  setConnection(connected);
  // After a reconnect the host may have moved on: take its whole state again.
  if (connected) void reload();
});
bindMai(mai);
if (window.mai) void reload();

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
