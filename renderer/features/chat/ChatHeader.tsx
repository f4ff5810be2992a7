/** The chat's header: title, the conversation's system prompt, the model, notifications, the panel toggle. */
import { useEffect, useRef, useState } from 'react';
import { call } from '../../ipc/api';
import { ChartIcon } from '../../lib/icons';
import { shortcutLabel } from '../../lib/shortcuts';
import { setModelsOpen, togglePanel, useAppStore } from '../../stores/app-store';
import { NotificationCentre } from '../notifications/NotificationCentre';
import { ModelPicker } from './ModelPicker';

const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

function SystemPromptEditor({ onClose }: { onClose: () => void }) {
  const current = useAppStore((s) => s.systemPrompt);
  const [text, setText] = useState(current);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => area.current?.focus(), []);
  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const conversation = await call('chat:set-system-prompt', { systemPrompt: text });
      useAppStore.setState({ systemPrompt: conversation.systemPrompt });
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };
  return (
    <div className="system-prompt-editor" data-testid="system-prompt-editor">
      <label htmlFor="system-prompt">System prompt for this conversation</label>
      <textarea
        id="system-prompt"
        ref={area}
        data-testid="system-prompt-input"
        value={text}
        rows={3}
        maxLength={20_000}
        placeholder="For example: You are a concise assistant who answers in British English."
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void save();
        }}
      />
      {error && (
        <p className="field-error" data-testid="system-prompt-error">
          {error}
        </p>
      )}
      <div className="editor-actions">
        <span className="muted small-text">Applies to the next reply.</span>
        <button type="button" className="button-secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="button" data-testid="system-prompt-save" disabled={saving || text === current} onClick={() => void save()}>
          Save
        </button>
      </div>
    </div>
  );
}

export function ChatHeader() {
  const title = useAppStore((s) => s.title);
  const systemPrompt = useAppStore((s) => s.systemPrompt);
  const conversationId = useAppStore((s) => s.conversationId);
  const panelOpen = useAppStore((s) => s.panelOpen);
  const [editing, setEditing] = useState(false);
  useEffect(() => setEditing(false), [conversationId]);
  return (
    <>
      <header className="chat-header">
        <div className="chat-heading">
          <h1 className="conversation-title" data-testid="conversation-heading" title={title}>
            {title || 'New chat'}
          </h1>
          <button
            type="button"
            className={`prompt-chip${systemPrompt ? ' set' : ''}`}
            data-testid="system-prompt-toggle"
            aria-expanded={editing}
            title={systemPrompt || 'Add a system prompt for this conversation'}
            onClick={() => setEditing(!editing)}
          >
            <span className="prompt-chip-label">{systemPrompt ? 'System:' : '+ System prompt'}</span>
            {systemPrompt && (
              <span className="prompt-chip-value" data-testid="system-prompt-summary">
                {systemPrompt.replace(/\s+/g, ' ').slice(0, 60)}
              </span>
            )}
          </button>
        </div>
        <ModelPicker />
        <button
          type="button"
          className="button-secondary small"
          data-testid="open-models"
          aria-haspopup="dialog"
          title="Catalog, downloads, installed models and import"
          onClick={() => setModelsOpen(true)}
        >
          Models
        </button>
        <NotificationCentre />
        <button
          type="button"
          className={`icon-button${panelOpen ? ' active' : ''}`}
          data-testid="panel-toggle"
          aria-pressed={panelOpen}
          aria-label={panelOpen ? 'Hide resources' : 'Show resources'}
          title={`${panelOpen ? 'Hide' : 'Show'} resources (${shortcutLabel('toggle-panel', mac)})`}
          onClick={togglePanel}
        >
          <ChartIcon />
        </button>
      </header>
      {editing && <SystemPromptEditor onClose={() => setEditing(false)} />}
    </>
  );
}
