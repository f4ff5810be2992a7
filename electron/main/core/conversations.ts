/**
 * The conversation list: loading it at start (damaged files quarantined and reported, replies cut
 * off by a crash marked as interrupted), opening, renaming, deleting and searching, on top of the
 * crash-safe ConversationStore. The current conversation itself lives in ChatService.
 */
import type { AppEvents, AppHandlers } from '../../../shared/contract';
import { Emitter } from '../../../shared/emitter';
import type { Conversation, ConversationSearchHitData, ConversationSummaryData } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import { newConversation, type ChatService, type ConversationPersistence } from './chat-service';
import type { ConversationStore } from './store/conversation-store';

export type ConversationEvents = Pick<AppEvents, 'onConversations' | 'onNotice'>;

export class ConversationService extends Emitter<ConversationEvents> {
  constructor(
    private readonly store: ConversationStore | null,
    private readonly chat: ChatService,
    private readonly now: () => number = Date.now,
  ) {
    super();
    chat.on('didSave', () => this.broadcast());
  }

  readonly handlers: AppHandlers<'chat:new' | `conversations:${'list' | 'open' | 'rename' | 'delete' | 'search'}`> = {
    'chat:new': () => this.create(),
    'conversations:list': () => this.list(),
    'conversations:open': ({ id }) => this.open(id),
    'conversations:rename': ({ id, title }) => this.rename(id, title),
    'conversations:delete': ({ id }) => this.delete(id),
    'conversations:search': ({ query }) => this.search(query),
  };

  /** How ChatService persists through this store. */
  static persistenceFor(store: ConversationStore): ConversationPersistence {
    return {
      save: (conversation) => store.save(conversation),
      saveSoon: (conversation) => {
        store.saveSoon(conversation).catch(() => {});
      },
    };
  }

  /** Loads the list and opens the most recent conversation. */
  async init(): Promise<void> {
    if (!this.store) return;
    const loaded = await this.store.load();
    for (const file of loaded.quarantined) {
      this.emit('onNotice', {
        level: 'warn',
        message: `A damaged conversation file was set aside (${file.reason}); it is kept at ${file.movedTo}. Your other conversations are intact.`,
      });
    }
    const latest = loaded.conversations[0];
    const conversation = latest ? this.store.get(latest.id) : undefined;
    if (conversation) {
      await this.repairCutOff(conversation);
      await this.chat.setCurrent(conversation);
    }
    // A window that asked for the state before the list was read gets it now.
    this.emit('onConversations', this.list());
  }

  /** A reply that was streaming when Mai stopped is kept and marked as interrupted. */
  private async repairCutOff(conversation: Conversation): Promise<void> {
    let repaired = false;
    for (const message of conversation.messages) {
      if (message.status !== 'streaming') continue;
      message.status = 'interrupted';
      message.error = 'Mai closed while this reply was being written.';
      repaired = true;
    }
    if (repaired) await this.store?.save(conversation);
  }

  list(): ConversationSummaryData[] {
    return this.store?.list() ?? [];
  }

  search(query: string): ConversationSearchHitData[] {
    return query.trim() && this.store ? this.store.search(query) : [];
  }

  async create(): Promise<Conversation> {
    const conversation = this.store ? await this.store.create() : newConversation(this.now());
    await this.chat.setCurrent(conversation);
    this.broadcast();
    return conversation;
  }

  async open(id: string): Promise<Conversation> {
    const conversation = this.store?.get(id);
    if (!conversation) throw new MaiError('not-found', 'That conversation no longer exists.');
    await this.repairCutOff(conversation);
    return this.chat.setCurrent(conversation);
  }

  async rename(id: string, title: string): Promise<ConversationSummaryData> {
    if (!this.store) throw new MaiError('bad-request', 'Conversations are not saved in this mode.');
    if (this.chat.current.id === id && !this.store.has(id)) await this.store.save(this.chat.current);
    const renamed = await this.store.rename(id, title);
    if (this.chat.current.id === id) this.chat.current.title = renamed.title;
    this.broadcast();
    const summary = this.store.list().find((entry) => entry.id === id);
    if (!summary) throw new MaiError('not-found', 'That conversation no longer exists.');
    return summary;
  }

  async delete(id: string): Promise<{ deleted: boolean }> {
    if (!this.store?.has(id)) return { deleted: false };
    // Stop writing into it first, or a late save would bring the file back.
    if (this.chat.current.id === id) await this.chat.setCurrent(newConversation(this.now()));
    await this.store.delete(id);
    const next = this.store.list()[0];
    if (this.chat.current.messages.length === 0 && next) {
      const conversation = this.store.get(next.id);
      if (conversation) await this.chat.setCurrent(conversation);
    }
    this.broadcast();
    return { deleted: true };
  }

  async flush(): Promise<void> {
    await this.store?.flush();
  }

  private broadcast(): void {
    if (this.store) this.emit('onConversations', this.store.list());
  }
}
