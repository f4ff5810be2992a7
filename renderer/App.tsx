import { call } from './ipc/api';
import { Composer } from './features/chat/Composer';
import { MessageList } from './features/chat/MessageList';
import { ModelPicker } from './features/chat/ModelPicker';
import { Notices } from './features/chat/Notices';
import { StatusBar } from './features/chat/StatusBar';
import { pushNotice, useAppStore } from './stores/app-store';

export function App() {
  const title = useAppStore((state) => state.title);
  const newChat = () => {
    call('chat:new', {}).catch((error: Error) => pushNotice({ level: 'error', message: error.message }));
  };
  return (
    <div className="app">
      <header className="app-header">
        <h1>Mai</h1>
        <span className="conversation-title">{title}</span>
        <ModelPicker />
        <button type="button" onClick={newChat} data-testid="new-chat">
          New chat
        </button>
      </header>
      <Notices />
      <main className="chat">
        <MessageList />
        <Composer />
      </main>
      <StatusBar />
    </div>
  );
}
