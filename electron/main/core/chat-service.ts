/**
 * The conversation, owned by main so that it survives an engine crash. One reply at a time; tokens
 * stream out as small deltas, never the whole state.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ChatMessage, ChatTurn, Conversation } from '../../../shared/domain';
import { MAX_MESSAGE_CHARS } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import type { AppEvents, AppHandlers } from '../../../shared/contract';
import { Emitter } from '../../../shared/emitter';
import type { EngineHost } from './engine-host';
import type { ModelController } from './model-controller';

export type ChatEvents = Pick<AppEvents, 'onChatToken' | 'onChatMessage' | 'onConversation' | 'onNotice'> & {
  /** A reply ended and the conversation was saved (the conversation list may have changed). */
  didSave: Conversation;
};

/** Where conversations are kept; the default keeps nothing (memory only). */
export interface ConversationPersistence {
  /** Resolves once the conversation is durable on disk. */
  save(conversation: Conversation): Promise<void>;
  /** Saves soon (throttled); used while a reply streams. */
  saveSoon(conversation: Conversation): void;
}

export interface ChatServiceOptions {
  /** Upper bound on tokens in one reply. Default 512. */
  maxTokens: number;
  now: () => number;
  persistence: ConversationPersistence;
}

const memoryOnly: ConversationPersistence = { save: async () => {}, saveSoon: () => {} };

export function newConversation(now: number): Conversation {
  return { id: randomUUID(), title: 'New chat', systemPrompt: '', messages: [], createdAt: now, updatedAt: now };
}

/** The turns the engine should see: failed exchanges are left out so they cannot poison later replies. */
export function historyFor(conversation: Conversation, upTo: number): ChatTurn[] {
  const turns: ChatTurn[] = [];
  if (conversation.systemPrompt.trim()) turns.push({ role: 'system', text: conversation.systemPrompt });
  const messages = conversation.messages.slice(0, upTo);
  messages.forEach((message, index) => {
    // Look ahead in the whole conversation: the retry of an interrupted reply may lie past `upTo`.
    const next = conversation.messages[index + 1];
    if (message.role === 'user' && next?.role === 'assistant' && next.status === 'error') return;
    if (message.role === 'assistant' && (message.status === 'error' || !message.text)) return;
    // An interrupted reply that was retried is replaced by its retry, also while the retry is still to come (its own
    // history); kept only when Stop ended the retry before it said anything.
    if (message.role === 'assistant' && message.status === 'interrupted' && next?.role === 'assistant' && !(next.status === 'stopped' && !next.text)) return;
    turns.push({ role: message.role, text: message.text });
  });
  return turns;
}

export class ChatService extends Emitter<ChatEvents> {
  private conversation: Conversation;
  /**
   * The reply streaming now: the engine request, the message its text goes to (after a remote
   * failover, the retry's, see splitRemoteReply) and the model it streams from (null before the model is known).
   */
  private active: { requestId: string; message: ChatMessage; modelPath: string | null } | null = null;
  /**
   * What the engine's last going-down decided for the reply it interrupted: the model the retry
   * uses (null: the same, no smaller one) and whether Mai restarts the engine at all.
   */
  private lastDown: { messageId: string; retryModelPath: string | null; willRestart: boolean } | null = null;
  private options: ChatServiceOptions;

  constructor(
    private readonly engine: EngineHost,
    private readonly models: ModelController,
    options: Partial<ChatServiceOptions> = {},
  ) {
    super();
    this.options = { maxTokens: 512, now: Date.now, persistence: memoryOnly, ...options };
    this.conversation = newConversation(this.options.now());
    engine.on('token', ({ requestId, text }) => {
      const message = this.active?.requestId === requestId ? this.active.message : null;
      if (!message) return;
      message.text += text;
      // The reply is saved as it grows (throttled to every 500 ms by the store).
      this.options.persistence.saveSoon(this.conversation);
      this.emit('onChatToken', { conversationId: this.conversation.id, messageId: message.id, text });
    });
    // Decided in the same turn the engine is reported down, before the restarted engine's 'ready'
    // makes the model controller load the preferred model again: a first interrupted reply moves
    // the preference to the next smaller model.
    engine.on('down', ({ willRestart }) => {
      const active = this.active;
      if (!active) return;
      const firstTry = !active.message.note?.startsWith('Retried');
      const retryModelPath = firstTry && willRestart && active.modelPath ? this.models.stepDownAfterCrash(active.modelPath) : null;
      this.lastDown = { messageId: active.message.id, retryModelPath, willRestart };
    });
    // A reply on a server that fails is answered again on this machine by the engine, in the same
    // request: the model changing under it is the moment the server's part ends.
    models.on('onModelChanged', ({ model }) => {
      const active = this.active;
      if (!model || !active || active.message.id !== active.requestId || model.path === active.modelPath) return;
      if (this.isRemote(active.modelPath)) this.splitRemoteReply(active.message, model.name);
      // The engine moved to a server before this reply began (replies wait for such a move).
      else if (this.isRemote(model.path)) active.modelPath = model.path;
    });
  }

  readonly handlers: AppHandlers<'chat:send' | 'chat:stop' | 'chat:regenerate' | 'chat:set-system-prompt'> = {
    'chat:send': ({ text }) => this.send(text),
    'chat:stop': async () => ({ stopped: await this.stop() }),
    'chat:regenerate': () => this.regenerate(),
    'chat:set-system-prompt': ({ systemPrompt }) => this.setSystemPrompt(systemPrompt),
  };

  setMaxTokens(maxTokens: number): void {
    this.options.maxTokens = maxTokens;
  }

  get current(): Conversation {
    return this.conversation;
  }

  get generating(): boolean {
    return this.active !== null;
  }

  /** Accepts a user message and starts the reply; resolves once the message is recorded. */
  async send(text: string): Promise<{ userMessageId: string; assistantMessageId: string }> {
    if (!text.trim()) throw new MaiError('message-empty', 'The message is empty. Type something to send.');
    if (text.length > MAX_MESSAGE_CHARS) {
      throw new MaiError(
        'message-too-long',
        `The message is ${text.length.toLocaleString('en')} characters long; Mai accepts up to ${MAX_MESSAGE_CHARS.toLocaleString('en')}. Shorten it or split it into parts.`,
      );
    }
    if (this.active) throw new MaiError('busy', 'Mai is still answering. Stop the reply or wait for it to finish.');
    const engine = this.engine.status;
    if (engine.state === 'failed' || engine.state === 'stopped') {
      throw new MaiError('engine-unavailable', `${engine.detail ?? 'The engine is not running.'} Restart the engine to continue; your conversation is kept.`);
    }
    const model = await this.models.ensureLoaded();
    const now = this.options.now();
    const user: ChatMessage = { id: randomUUID(), role: 'user', text, createdAt: now, status: 'done' };
    const assistant: ChatMessage = { id: randomUUID(), role: 'assistant', text: '', createdAt: now, status: 'streaming', model: model.name };
    const conversation = this.conversation;
    conversation.messages.push(user, assistant);
    conversation.updatedAt = now;
    const naming = conversation.title === 'New chat';
    if (naming) conversation.title = text.trim().replace(/\s+/g, ' ').slice(0, 60);
    // The user's message is on disk before the engine sees it: a crash cannot lose it.
    try {
      await this.options.persistence.save(conversation);
    } catch (error) {
      conversation.messages.splice(conversation.messages.indexOf(user), 2);
      if (naming) conversation.title = 'New chat';
      throw new MaiError('internal', `Your message could not be saved, so it was not sent: ${(error as Error).message}`);
    }
    this.active = { requestId: assistant.id, message: assistant, modelPath: model.path };
    if (naming) {
      // The first message names the chat; the whole (two-message) conversation goes out once.
      this.emit('onConversation', structuredClone(conversation));
    } else {
      this.emit('onChatMessage', { conversationId: conversation.id, message: { ...user } });
      this.emit('onChatMessage', { conversationId: conversation.id, message: { ...assistant } });
    }
    void this.reply(conversation, assistant);
    return { userMessageId: user.id, assistantMessageId: assistant.id };
  }

  private async reply(conversation: Conversation, assistant: ChatMessage, attempt = 0): Promise<void> {
    const requestId = assistant.id;
    const history = historyFor(conversation, conversation.messages.indexOf(assistant));
    if (this.active?.requestId === requestId) this.active.modelPath = this.models.current?.path ?? this.active.modelPath;
    /** The message being written: the retry's after a remote failover. */
    const writing = () => (this.active?.requestId === requestId ? this.active.message : assistant);
    let message = assistant;
    let crashed = false;
    try {
      const result = await this.engine.call('chat:generate', { requestId, history, maxTokens: this.options.maxTokens });
      if (result.interrupted) {
        // The server's part, as the engine kept it; the retry (begun when the model changed, or now) has the rest.
        if (writing() === assistant) this.splitRemoteReply(assistant, result.model);
        Object.assign(assistant, { text: result.interrupted.text, model: result.interrupted.model, error: result.interrupted.reason });
        this.emit('onChatMessage', { conversationId: conversation.id, message: { ...assistant } });
      }
      message = writing();
      message.text = result.text;
      message.status = result.stopReason === 'abort' ? 'stopped' : 'done';
      message.stats = result.stats;
      message.model = result.model;
      if (result.note) message.note = [message.note, result.note].filter(Boolean).join(' ');
    } catch (error) {
      message = writing();
      const sentence = error instanceof Error ? error.message : String(error);
      crashed = error instanceof MaiError && error.code === 'engine-crashed';
      // An engine crash keeps what had streamed so far.
      message.status = crashed ? 'interrupted' : 'error';
      message.error = sentence;
      if (!crashed || attempt > 0) this.emit('onNotice', { level: 'error', message: crashed ? `The reply was interrupted: ${sentence}` : sentence });
    } finally {
      if (this.active?.requestId === requestId) this.active = null;
      conversation.updatedAt = this.options.now();
      this.emit('onChatMessage', { conversationId: conversation.id, message: { ...message } });
      await this.options.persistence
        .save(conversation)
        .catch((error: Error) => this.emit('onNotice', { level: 'error', message: `The reply could not be saved: ${error.message}` }));
      this.emit('didSave', conversation);
    }
    if (crashed && attempt === 0) await this.retryAfterCrash(conversation, message);
  }

  /** Whether `modelPath` is a rung on a remote server (the ladder says so; `remote:` is how the engine addresses them). */
  private isRemote(modelPath: string | null): boolean {
    if (!modelPath) return false;
    return this.models.ladder.some((rung) => rung.path === modelPath && rung.host !== undefined) || modelPath.startsWith('remote:');
  }

  /**
   * A remote reply failed over to this machine: what the server streamed stays, marked
   * interrupted, and the rest of the request's text goes to a new message (the retry).
   */
  private splitRemoteReply(interrupted: ChatMessage, retryModel: string): void {
    const active = this.active;
    if (!active || active.message !== interrupted) return;
    interrupted.status = 'interrupted';
    const retry: ChatMessage = { id: randomUUID(), role: 'assistant', text: '', createdAt: this.options.now(), status: 'streaming', model: retryModel };
    this.conversation.messages.push(retry);
    active.message = retry;
    active.modelPath = this.models.current?.path ?? null;
    this.emit('onChatMessage', { conversationId: this.conversation.id, message: { ...interrupted } });
    this.emit('onChatMessage', { conversationId: this.conversation.id, message: { ...retry } });
  }

  /** Retries an interrupted reply once, on the next smaller model when there is one (chosen as the engine went down). */
  private async retryAfterCrash(conversation: Conversation, interrupted: ChatMessage): Promise<void> {
    const down = this.lastDown?.messageId === interrupted.id ? this.lastDown : null;
    const crashedName = interrupted.model ?? 'the model';
    if (down && !down.willRestart) {
      // Mai gave up restarting: no "restarted" notice, no retry; the user restarts the engine.
      this.emit('onNotice', {
        level: 'error',
        message: `${interrupted.error ?? 'The engine stopped.'} Mai stopped restarting the engine, so the reply was not retried; the interrupted reply and your message are kept. Restart the engine to continue.`,
      });
      return;
    }
    const smaller = down?.retryModelPath ?? null;
    const target = smaller ? path.basename(smaller, path.extname(smaller)) : crashedName;
    this.emit('onNotice', {
      level: 'warn',
      message: `${interrupted.error ?? 'The engine stopped.'} Mai restarted it and is answering again with ${target}${smaller ? ' (smaller, to be safe)' : ''}; the interrupted reply is kept above.`,
    });
    const retry: ChatMessage = {
      id: randomUUID(),
      role: 'assistant',
      text: '',
      createdAt: this.options.now(),
      status: 'streaming',
      note: `Retried after the engine stopped while ${crashedName} was answering.`,
    };
    if (this.active) return; // The user already moved on.
    conversation.messages.push(retry);
    this.active = { requestId: retry.id, message: retry, modelPath: null };
    this.emit('onChatMessage', { conversationId: conversation.id, message: { ...retry } });
    try {
      const model = await this.models.ensureLoaded();
      retry.model = model.name;
      if (this.active?.requestId === retry.id) this.active.modelPath = model.path;
    } catch (error) {
      this.active = null;
      retry.status = 'error';
      retry.error = (error as Error).message;
      this.emit('onChatMessage', { conversationId: conversation.id, message: { ...retry } });
      return;
    }
    await this.reply(conversation, retry, 1);
  }

  /** Stops the reply in progress; its partial text is kept. */
  async stop(): Promise<boolean> {
    const requestId = this.active?.requestId;
    if (!requestId) return false;
    return (await this.engine.call('chat:stop', { requestId })).stopped;
  }

  /** Makes `conversation` the current one (stopping any reply in progress first). */
  async setCurrent(conversation: Conversation): Promise<Conversation> {
    await this.stop().catch(() => false);
    this.conversation = conversation;
    this.emit('onConversation', structuredClone(conversation));
    return conversation;
  }

  /** Starts a new, empty conversation (stopping any reply in progress). */
  reset(): Promise<Conversation> {
    return this.setCurrent(newConversation(this.options.now()));
  }

  /** Replaces the last reply with a new one. */
  async regenerate(): Promise<{ assistantMessageId: string }> {
    if (this.active) throw new MaiError('busy', 'Mai is still answering. Stop the reply first.');
    const conversation = this.conversation;
    const last = conversation.messages.at(-1);
    if (!last || last.role !== 'assistant') throw new MaiError('bad-request', 'There is no reply to regenerate yet.');
    const model = await this.models.ensureLoaded();
    conversation.messages.pop();
    const assistant: ChatMessage = { id: randomUUID(), role: 'assistant', text: '', createdAt: this.options.now(), status: 'streaming', model: model.name };
    conversation.messages.push(assistant);
    await this.options.persistence.save(conversation);
    this.active = { requestId: assistant.id, message: assistant, modelPath: model.path };
    this.emit('onConversation', structuredClone(conversation));
    void this.reply(conversation, assistant);
    return { assistantMessageId: assistant.id };
  }

  /** Sets the current conversation's system prompt (used from the next reply on). */
  async setSystemPrompt(systemPrompt: string): Promise<Conversation> {
    this.conversation.systemPrompt = systemPrompt;
    this.conversation.updatedAt = this.options.now();
    await this.options.persistence.save(this.conversation);
    return structuredClone(this.conversation);
  }
}
