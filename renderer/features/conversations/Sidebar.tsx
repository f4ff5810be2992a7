/**
 * Conversations: new chat, search (with highlighted snippets), open, rename inline, delete with
 * a confirmation. The list is main's (conversations:list / onConversations); nothing is kept here.
 */
import { memo, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ConversationSearchHitData, ConversationSummaryData } from '../../../shared/domain';
import { call } from '../../ipc/api';
import { formatAgo } from '../../lib/format';
import { shortcutLabel } from '../../lib/shortcuts';
import { GearIcon, PencilIcon, PlusIcon, SearchIcon, TrashIcon } from '../../lib/icons';
import { pushNotice, setConversation, setConversations, setSearch, setSettingsOpen, useAppStore } from '../../stores/app-store';

const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const fail = (error: unknown) => pushNotice({ level: 'error', message: (error as Error).message });

export function newChat(): void {
  call('chat:new', {}).catch(fail);
}

async function openConversation(id: string): Promise<void> {
  try {
    // main also sends onConversation; taking the answer makes the switch immediate.
    setConversation(await call('conversations:open', { id }));
  } catch (error) {
    fail(error);
  }
}

function Highlighted({ hit }: { hit: ConversationSearchHitData }) {
  const { snippet, highlight } = hit;
  const start = Math.max(0, Math.min(snippet.length, highlight.start));
  const end = Math.max(start, Math.min(snippet.length, highlight.start + highlight.length));
  return (
    <span className="hit-snippet" data-testid="search-snippet">
      {snippet.slice(0, start)}
      <mark>{snippet.slice(start, end)}</mark>
      {snippet.slice(end)}
    </span>
  );
}

const ConversationRow = memo(function ConversationRow({ summary, active }: { summary: ConversationSummaryData; active: boolean }) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [title, setTitle] = useState(summary.title);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  const commit = async () => {
    setEditing(false);
    const next = title.trim();
    if (!next || next === summary.title) return setTitle(summary.title);
    try {
      await call('conversations:rename', { id: summary.id, title: next });
      // main answers with onConversations (and onConversation for the open one).
      setConversations(useAppStore.getState().conversations.map((c) => (c.id === summary.id ? { ...c, title: next } : c)));
      if (useAppStore.getState().conversationId === summary.id) useAppStore.setState({ title: next });
    } catch (error) {
      setTitle(summary.title);
      fail(error);
    }
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') void commit();
    else if (event.key === 'Escape') {
      setTitle(summary.title);
      setEditing(false);
    }
  };
  const remove = async () => {
    setConfirming(false);
    try {
      await call('conversations:delete', { id: summary.id });
      setConversations(useAppStore.getState().conversations.filter((c) => c.id !== summary.id));
    } catch (error) {
      fail(error);
    }
  };

  return (
    <li className={`conversation${active ? ' active' : ''}`} data-testid="conversation-item" data-id={summary.id} data-active={active}>
      {editing ? (
        <input
          ref={input}
          className="rename-input"
          data-testid="conversation-rename-input"
          aria-label="Conversation title"
          value={title}
          maxLength={500}
          onChange={(e) => setTitle(e.target.value)}
          onKeyDown={onKey}
          onBlur={() => void commit()}
        />
      ) : (
        <button
          type="button"
          className="conversation-open"
          data-testid="conversation-open"
          onClick={() => void openConversation(summary.id)}
          onDoubleClick={() => setEditing(true)}
        >
          <span className="conversation-name" data-testid="conversation-title">
            {summary.title || 'Untitled'}
          </span>
          <span className="conversation-meta">
            {formatAgo(summary.updatedAt)}
            {summary.preview && ` · ${summary.preview}`}
          </span>
        </button>
      )}
      {confirming ? (
        <div className="confirm" role="group" aria-label="Delete this conversation?">
          <span>Delete?</span>
          <button type="button" className="danger small" data-testid="conversation-delete-confirm" onClick={() => void remove()}>
            Delete
          </button>
          <button type="button" className="button-secondary small" data-testid="conversation-delete-cancel" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </div>
      ) : (
        !editing && (
          <div className="row-actions">
            <button type="button" className="icon-button" aria-label="Rename" title="Rename" data-testid="conversation-rename" onClick={() => setEditing(true)}>
              <PencilIcon />
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label="Delete"
              title="Delete"
              data-testid="conversation-delete"
              onClick={() => setConfirming(true)}
            >
              <TrashIcon />
            </button>
          </div>
        )
      )}
    </li>
  );
});

function SearchResults({ hits }: { hits: ConversationSearchHitData[] }) {
  if (hits.length === 0) return <p className="sidebar-empty">No conversation matches.</p>;
  return (
    <ul className="conversations" data-testid="search-results">
      {hits.map((hit) => (
        <li key={`${hit.id}-${hit.messageId ?? 'title'}`} className="conversation hit" data-testid="search-hit" data-id={hit.id}>
          <button type="button" className="conversation-open" onClick={() => void openConversation(hit.id)}>
            <span className="conversation-name">{hit.title || 'Untitled'}</span>
            <Highlighted hit={hit} />
          </button>
        </li>
      ))}
    </ul>
  );
}

function SearchBox() {
  const query = useAppStore((s) => s.searchQuery);
  const focusRequest = useAppStore((s) => s.searchFocusRequest);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);
  useEffect(() => {
    if (focusRequest > 0) {
      input.current?.focus();
      input.current?.select();
    }
  }, [focusRequest]);
  useEffect(() => {
    const text = query.trim();
    const mine = ++seq.current;
    if (!text) {
      setSearch(query, null);
      return;
    }
    const timer = setTimeout(() => {
      call('conversations:search', { query: text }).then(
        (hits) => {
          if (mine === seq.current) setSearch(useAppStore.getState().searchQuery, hits);
        },
        (error) => {
          if (mine === seq.current) fail(error);
        },
      );
    }, 150);
    return () => clearTimeout(timer);
  }, [query]);
  return (
    <div className="search">
      <SearchIcon />
      <input
        ref={input}
        type="search"
        data-testid="conversation-search"
        placeholder={`Search chats  ${shortcutLabel('focus-search', mac)}`}
        aria-label="Search conversations"
        value={query}
        maxLength={500}
        onChange={(e) => setSearch(e.target.value, useAppStore.getState().searchHits)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setSearch('', null);
            input.current?.blur();
          }
        }}
      />
    </div>
  );
}

export function Sidebar() {
  const conversations = useAppStore((s) => s.conversations);
  const activeId = useAppStore((s) => s.conversationId);
  const hits = useAppStore((s) => s.searchHits);
  const searching = useAppStore((s) => s.searchQuery.trim().length > 0);
  return (
    <nav className="sidebar" aria-label="Conversations" data-testid="sidebar">
      <div className="sidebar-top">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            M
          </span>
          <span className="brand-name">Mai</span>
        </div>
        <button type="button" className="new-chat" data-testid="new-chat" title={`New chat (${shortcutLabel('new-chat', mac)})`} onClick={newChat}>
          <PlusIcon /> New chat
        </button>
      </div>
      <SearchBox />
      <div className="sidebar-list">
        {searching ? (
          hits ? (
            <SearchResults hits={hits} />
          ) : (
            <p className="sidebar-empty">Searching…</p>
          )
        ) : conversations.length === 0 ? (
          <p className="sidebar-empty">Your conversations will be listed here.</p>
        ) : (
          <ul className="conversations" data-testid="conversation-list">
            {conversations.map((summary) => (
              <ConversationRow key={`${summary.id}:${summary.title}`} summary={summary} active={summary.id === activeId} />
            ))}
          </ul>
        )}
      </div>
      <div className="sidebar-bottom">
        <button type="button" className="sidebar-button" data-testid="open-settings" onClick={() => setSettingsOpen(true)}>
          <GearIcon /> Settings
        </button>
      </div>
    </nav>
  );
}
