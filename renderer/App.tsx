import { useEffect } from 'react';
import { canRegenerate, regenerate, stopReply } from './features/chat/actions';
import { ChatHeader } from './features/chat/ChatHeader';
import { Composer } from './features/chat/Composer';
import { FirstModelCard } from './features/chat/FirstModelCard';
import { MessageList } from './features/chat/MessageList';
import { Notices } from './features/chat/Notices';
import { StatusBar } from './features/chat/StatusBar';
import { newChat, Sidebar } from './features/conversations/Sidebar';
import { ModelsPage } from './features/models/ModelsPage';
import { ResourcePanel } from './features/resources/ResourcePanel';
import { SettingsDialog } from './features/settings/SettingsDialog';
import { shortcutFor } from './lib/shortcuts';
import { requestSearchFocus, togglePanel, useAppStore } from './stores/app-store';

/** Ctrl/Cmd+N new chat, +K search, +Shift+R regenerate, +B resource panel; Escape stops a reply. */
function useShortcuts(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutFor(event);
      if (!action) {
        const state = useAppStore.getState();
        if (event.key === 'Escape' && state.generating && !state.settingsOpen && !state.modelsOpen && !event.defaultPrevented) stopReply();
        return;
      }
      event.preventDefault();
      if (action === 'new-chat') newChat();
      else if (action === 'focus-search') requestSearchFocus();
      else if (action === 'toggle-panel') togglePanel();
      else if (action === 'regenerate' && canRegenerate()) regenerate();
    };
    // Bubble phase: React's own handlers (the composer's Escape) run first and can claim a key.
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function PanelSlot() {
  const open = useAppStore((s) => s.panelOpen);
  return open ? <ResourcePanel /> : null;
}

function SettingsSlot() {
  const open = useAppStore((s) => s.settingsOpen);
  return open ? <SettingsDialog /> : null;
}

function ModelsSlot() {
  const open = useAppStore((s) => s.modelsOpen);
  return open ? <ModelsPage /> : null;
}

export function App() {
  useShortcuts();
  return (
    <div className="app">
      <Sidebar />
      <div className="main-column">
        <ChatHeader />
        <Notices />
        <FirstModelCard />
        <main className="chat">
          <MessageList />
          <Composer />
        </main>
        <StatusBar />
      </div>
      <PanelSlot />
      <SettingsSlot />
      <ModelsSlot />
    </div>
  );
}
