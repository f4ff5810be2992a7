/**
 * Conversations on disk: one `<id>.json` per conversation in one folder, each replaced atomically.
 * A file per conversation keeps a write proportional to one chat (not the whole history) and
 * confines corruption to one chat. Every loaded conversation is cached in memory, which makes
 * listing and search a scan with no index to keep consistent.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Conversation } from '../../../../shared/domain';
import { conversationSchema } from '../../../../shared/domain';
import { MaiError } from '../../../../shared/errors';
import { deleteFileDurable, describeIssues, fsyncDir, quarantine, readJsonFile, removeStaleTempFiles, writeFileAtomic } from './atomic-file';

/** What the sidebar needs about a conversation without its messages. */
export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  messageCount: number;
  /** The start of the last non-empty message, whitespace collapsed, at most ~100 characters. */
  preview: string;
}

/** A search result: the summary plus where the query first matched. */
export interface ConversationSearchHit extends ConversationSummary {
  matchedIn: 'title' | 'message';
  /** Set when the match is in a message. */
  messageId?: string;
  /** Text around the first match, with `…` where it was cut. */
  snippet: string;
  /** Where the match sits inside `snippet`, for highlighting. */
  highlight: { start: number; length: number };
}

/** A file that could not be loaded and was moved aside (full paths). */
export interface QuarantinedFile {
  file: string;
  reason: string;
  movedTo: string;
}

export interface ConversationLoadResult {
  /** Newest first. */
  conversations: ConversationSummary[];
  quarantined: QuarantinedFile[];
  /** Files left in place because they could not be read at all (permissions, I/O): not corrupt, not loaded. */
  skipped: Array<{ file: string; reason: string }>;
}

export interface ConversationStoreOptions {
  /** Minimum spacing of `saveSoon` writes per conversation. Default 500 ms. */
  throttleMs: number;
  /** Clock for timestamps of new conversations. */
  now: () => number;
  newId: () => string;
}

/** Ids become file names, so only a conservative alphabet is allowed (UUIDs fit). */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
const FILE_PATTERN = /^([A-Za-z0-9_-]{1,100})\.json$/;
const PREVIEW_CHARS = 100;
const SNIPPET_BEFORE = 40;
const SNIPPET_AFTER = 80;
const LOAD_CONCURRENCY = 8;

interface SoonSlot {
  latest: Conversation;
  timer: NodeJS.Timeout | null;
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function summarize(conversation: Conversation): ConversationSummary {
  const last = conversation.messages.findLast((message) => message.text.trim() !== '');
  const text = last ? collapse(last.text).trim() : '';
  return {
    id: conversation.id,
    title: conversation.title,
    updatedAt: conversation.updatedAt,
    messageCount: conversation.messages.length,
    preview: text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS).trimEnd()}…` : text,
  };
}

/** Moves a cut off a UTF-16 surrogate pair so a snippet never holds half an emoji. */
function safeCut(text: string, index: number, direction: -1 | 1): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index + direction : index;
}

function snippetAround(text: string, index: number, length: number): { snippet: string; highlight: { start: number; length: number } } {
  const start = Math.max(0, safeCut(text, index - SNIPPET_BEFORE, -1));
  const end = Math.min(text.length, safeCut(text, index + length + SNIPPET_AFTER, 1));
  const before = `${start > 0 ? '…' : ''}${collapse(text.slice(start, index)).trimStart()}`;
  const hit = collapse(text.slice(index, index + length));
  const after = `${collapse(text.slice(index + length, end)).trimEnd()}${end < text.length ? '…' : ''}`;
  return { snippet: before + hit + after, highlight: { start: before.length, length: hit.length } };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The conversation folder. Call `load()` once before anything else. Every method that writes
 * resolves only once the data is fsync'd ("acknowledged" means durable); reads are synchronous
 * from the cache and return copies, so callers cannot change the cache by accident.
 */
export class ConversationStore {
  private readonly cache = new Map<string, Conversation>();
  private readonly soon = new Map<string, SoonSlot>();
  /** When each conversation's last throttled write started, for `saveSoon` spacing. */
  private readonly lastSoonAt = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly options: ConversationStoreOptions;

  constructor(
    /** The folder, typically `<userData>/conversations`. */
    readonly dir: string,
    options: Partial<ConversationStoreOptions> = {},
  ) {
    this.options = { throttleMs: 500, now: Date.now, newId: randomUUID, ...options };
  }

  /**
   * Reads every `<id>.json`. Corrupt (unparseable) and schema-invalid files are quarantined to
   * `<name>.corrupt-<timestamp>` and reported; the rest load. Temp files left by a crash mid-write
   * are deleted (the real file is intact because it is only ever replaced by rename).
   */
  async load(): Promise<ConversationLoadResult> {
    await this.flush().catch(() => {});
    const created = await fs.mkdir(this.dir, { recursive: true });
    // A new folder's own entry must be durable too, or the first files could vanish with it.
    if (created) await fsyncDir(path.dirname(created));
    await removeStaleTempFiles(this.dir);
    this.cache.clear();
    const names = (await fs.readdir(this.dir)).filter((name) => FILE_PATTERN.test(name));
    const quarantined: QuarantinedFile[] = [];
    const skipped: ConversationLoadResult['skipped'] = [];
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++] as string;
        const file = path.join(this.dir, name);
        const result = await readJsonFile(file, conversationSchema);
        if (result.ok) {
          const expectedId = FILE_PATTERN.exec(name)?.[1];
          if (result.value.id === expectedId) {
            this.cache.set(result.value.id, result.value);
            continue;
          }
          const reason = `The file name does not match the conversation id "${result.value.id}".`;
          quarantined.push({ file, reason, movedTo: await quarantine(file, reason) });
        } else if (result.kind === 'syntax' || result.kind === 'schema') {
          quarantined.push({ file, reason: result.reason, movedTo: await quarantine(file, result.reason) });
        } else if (result.kind === 'unreadable') {
          skipped.push({ file, reason: result.reason });
        }
        // 'missing': deleted between readdir and read; nothing to do.
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, names.length) }, worker));
    return { conversations: this.list(), quarantined, skipped };
  }

  /** Summaries of every cached conversation, newest first. */
  list(): ConversationSummary[] {
    return [...this.cache.values()].sort((a, b) => b.updatedAt - a.updatedAt).map(summarize);
  }

  /** A copy of the last saved state of a conversation, or undefined. */
  get(id: string): Conversation | undefined {
    const conversation = this.cache.get(id);
    return conversation ? structuredClone(conversation) : undefined;
  }

  has(id: string): boolean {
    return this.cache.has(id);
  }

  /**
   * Validates and writes a conversation; resolves once it is durable. While a write of the same id
   * runs, further saves merge into one pending write of the newest state (at most one pending per
   * id), and all of them resolve when that write lands. Supersedes a pending `saveSoon`.
   * Throws MaiError('bad-request') for an invalid conversation or id.
   */
  save(conversation: Conversation): Promise<void> {
    const slot = this.soon.get(conversation.id);
    let snapshot: Conversation;
    try {
      snapshot = this.validate(conversation);
    } catch (error) {
      return Promise.reject(error);
    }
    if (slot) {
      // The caller's state is at least as new as the throttled one, so this write serves both.
      this.soon.delete(conversation.id);
      if (slot.timer) clearTimeout(slot.timer);
    }
    this.cache.set(snapshot.id, snapshot);
    // Serialised lazily: a save superseded while queued is never stringified.
    const written = writeFileAtomic(this.fileFor(snapshot.id), () => JSON.stringify(snapshot));
    this.track(written);
    if (slot)
      written.then(
        () => slot.waiters.forEach((w) => w.resolve()),
        (error: unknown) => slot.waiters.forEach((w) => w.reject(error)),
      );
    return written;
  }

  /**
   * Throttled save for streaming replies: writes at most once per `throttleMs` per conversation
   * (the first call after a quiet period writes at once), always the newest state passed. The
   * object is read when the timer fires, so passing the same live object each token is fine.
   * The promise resolves when a write including this state is durable; it is safe to ignore
   * (failures are also delivered to the next `save`/`flush`).
   */
  saveSoon(conversation: Conversation): Promise<void> {
    const id = conversation.id;
    if (!ID_PATTERN.test(id)) return Promise.reject(this.badId(id));
    let slot = this.soon.get(id);
    if (!slot) {
      slot = { latest: conversation, timer: null, waiters: [] };
      this.soon.set(id, slot);
    }
    slot.latest = conversation;
    const current = slot;
    const promise = new Promise<void>((resolve, reject) => current.waiters.push({ resolve, reject }));
    // Ignoring the promise must not become an unhandled rejection that kills the process.
    promise.catch(() => {});
    if (!current.timer) {
      const since = Date.now() - (this.lastSoonAt.get(id) ?? Number.NEGATIVE_INFINITY);
      const delay = Math.max(0, this.options.throttleMs - since);
      current.timer = setTimeout(() => void this.fireSoon(id, current), delay);
    }
    return promise;
  }

  /** Writes every pending `saveSoon` now and waits for all writes in flight. Rejects if a forced write fails. */
  async flush(): Promise<void> {
    const forced = [...this.soon.entries()].map(([id, slot]) => this.fireSoon(id, slot));
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(forced);
  }

  /** Sets a conversation's title (trimmed, ≤ 500 characters); keeps `updatedAt` so the list order stays. */
  async rename(id: string, title: string): Promise<Conversation> {
    const conversation = this.require(id);
    const trimmed = title.trim();
    if (!trimmed) throw new MaiError('bad-request', 'The title is empty. Type a name for the conversation.');
    if (trimmed.length > 500) throw new MaiError('bad-request', `The title is ${trimmed.length} characters long; the limit is 500.`);
    const renamed = { ...conversation, title: trimmed };
    await this.save(renamed);
    return structuredClone(renamed);
  }

  /**
   * Removes a conversation and its file; resolves once the removal is durable. A pending
   * `saveSoon` for it is dropped (its promise rejects with `not-found`). A later `save` of the same
   * id creates it again, so stop streaming into a conversation before deleting it.
   */
  async delete(id: string): Promise<void> {
    this.require(id);
    const slot = this.soon.get(id);
    if (slot) {
      this.soon.delete(id);
      if (slot.timer) clearTimeout(slot.timer);
      const error = new MaiError('not-found', 'The conversation was deleted before it could be saved.');
      slot.waiters.forEach((waiter) => waiter.reject(error));
    }
    this.cache.delete(id);
    this.lastSoonAt.delete(id);
    const removed = deleteFileDurable(this.fileFor(id));
    this.track(removed);
    await removed;
  }

  /**
   * Case-insensitive substring search over titles and message text, newest conversation first.
   * Each hit carries a snippet around the first match (title before messages). A blank query
   * returns nothing. This is a linear scan of the cache: fine for thousands of conversations.
   */
  search(query: string, limit = 100): ConversationSearchHit[] {
    const needle = query.trim();
    if (!needle) return [];
    // A regex with the 'iu' flags compares case-insensitively without changing string lengths,
    // which `toLowerCase()` can (e.g. 'İ'), so match offsets stay valid in the original text.
    const pattern = new RegExp(escapeRegExp(needle), 'iu');
    const hits: ConversationSearchHit[] = [];
    for (const conversation of [...this.cache.values()].sort((a, b) => b.updatedAt - a.updatedAt)) {
      if (hits.length >= limit) break;
      const titleMatch = pattern.exec(conversation.title);
      if (titleMatch) {
        hits.push({ ...summarize(conversation), matchedIn: 'title', ...snippetAround(conversation.title, titleMatch.index, titleMatch[0].length) });
        continue;
      }
      for (const message of conversation.messages) {
        const match = pattern.exec(message.text);
        if (!match) continue;
        hits.push({ ...summarize(conversation), matchedIn: 'message', messageId: message.id, ...snippetAround(message.text, match.index, match[0].length) });
        break;
      }
    }
    return hits;
  }

  /** Creates, writes and returns an empty conversation titled "New chat". */
  async create(init: { systemPrompt?: string; title?: string } = {}): Promise<Conversation> {
    const now = this.options.now();
    const conversation: Conversation = {
      id: this.options.newId(),
      title: init.title?.trim() || 'New chat',
      systemPrompt: init.systemPrompt ?? '',
      messages: [],
      createdAt: now,
      updatedAt: now,
    };
    await this.save(conversation);
    return structuredClone(conversation);
  }

  private fileFor(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private badId(id: string): MaiError {
    return new MaiError('bad-request', `"${id.slice(0, 120)}" is not a valid conversation id (letters, digits, "-" and "_", up to 100).`);
  }

  private require(id: string): Conversation {
    const conversation = this.cache.get(id);
    if (!conversation) throw new MaiError('not-found', 'That conversation does not exist (it may have been deleted).');
    return conversation;
  }

  /** Parses into a fresh object (zod copies), so later changes by the caller do not leak into the cache. */
  private validate(conversation: Conversation): Conversation {
    if (typeof conversation?.id !== 'string' || !ID_PATTERN.test(conversation.id)) throw this.badId(String(conversation?.id));
    const parsed = conversationSchema.safeParse(conversation);
    if (!parsed.success) throw new MaiError('bad-request', `The conversation could not be saved: ${describeIssues(parsed.error.issues)}.`);
    return parsed.data;
  }

  private fireSoon(id: string, slot: SoonSlot): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (this.soon.get(id) !== slot) return Promise.resolve();
    this.soon.delete(id);
    this.lastSoonAt.set(id, Date.now());
    const written = this.save(slot.latest);
    written.then(
      () => slot.waiters.forEach((waiter) => waiter.resolve()),
      (error: unknown) => slot.waiters.forEach((waiter) => waiter.reject(error)),
    );
    return written;
  }

  private track(promise: Promise<void>): void {
    const settled = promise.then(
      () => {},
      () => {},
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }
}
