/** ConversationStore against a real temp folder: CRUD, search, throttling, quarantine. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation } from '../../../shared/domain';
import { conversationSchema } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import { ConversationStore } from '../../../electron/main/core/store/conversation-store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mai-conv-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

let clock = 1_000;
function message(id: string, role: ChatMessage['role'], text: string): ChatMessage {
  clock += 1;
  return { id, role, text, createdAt: clock, status: 'done' };
}

function onDisk(id: string): Conversation {
  return conversationSchema.parse(JSON.parse(readFileSync(path.join(dir, `${id}.json`), 'utf8')));
}

describe('ConversationStore', () => {
  it('creates, saves, reloads, renames and deletes', async () => {
    let ids = 0;
    const store = new ConversationStore(dir, { now: () => (clock += 10), newId: () => `c${++ids}` });
    expect(await store.load()).toEqual({ conversations: [], quarantined: [], skipped: [] });
    const first = await store.create({ systemPrompt: 'Be brief.' });
    expect(first).toMatchObject({ id: 'c1', title: 'New chat', systemPrompt: 'Be brief.', messages: [] });
    expect(onDisk('c1')).toEqual(first);

    first.messages.push(message('m1', 'user', 'Hello there'), message('m2', 'assistant', 'General   Kenobi\n\nYou are a bold one.'));
    first.updatedAt = clock;
    await store.save(first);
    // The store keeps its own copy: mutating the caller's object does not change it.
    first.messages.push(message('m3', 'user', 'not saved'));
    expect(store.get('c1')?.messages).toHaveLength(2);
    const second = await store.create();

    const reopened = new ConversationStore(dir);
    const { conversations, quarantined } = await reopened.load();
    expect(quarantined).toEqual([]);
    expect(conversations.map((c) => c.id)).toEqual([second.id, 'c1']);
    expect(conversations[1]).toEqual({
      id: 'c1',
      title: 'New chat',
      updatedAt: first.updatedAt,
      messageCount: 2,
      preview: 'General Kenobi You are a bold one.',
    });

    const renamed = await reopened.rename('c1', '  Star Wars  ');
    expect(renamed.title).toBe('Star Wars');
    expect(onDisk('c1').title).toBe('Star Wars');
    await expect(reopened.rename('c1', '   ')).rejects.toMatchObject({ code: 'bad-request' });
    await expect(reopened.rename('nope', 'x')).rejects.toMatchObject({ code: 'not-found' });

    await reopened.delete('c1');
    expect(existsSync(path.join(dir, 'c1.json'))).toBe(false);
    expect(reopened.get('c1')).toBeUndefined();
    expect(reopened.list().map((c) => c.id)).toEqual([second.id]);
    await expect(reopened.delete('c1')).rejects.toBeInstanceOf(MaiError);
    expect(readdirSync(dir)).toEqual([`${second.id}.json`]);
  });

  it('refuses invalid conversations and unsafe ids', async () => {
    const store = new ConversationStore(dir);
    await store.load();
    const good = await store.create();
    await expect(store.save({ ...good, id: '../escape' })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(store.save({ ...good, title: 'x'.repeat(501) })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/title/) });
    await expect(store.saveSoon({ ...good, id: 'a/b' })).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('coalesces concurrent saves of one conversation and keeps the newest', async () => {
    const store = new ConversationStore(dir);
    await store.load();
    const conversation = await store.create();
    const saves: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i += 1) {
      conversation.messages.push(message(`m${i}`, i % 2 ? 'assistant' : 'user', `text ${i}`));
      saves.push(store.save(conversation));
    }
    await Promise.all(saves);
    expect(onDisk(conversation.id).messages).toHaveLength(50);
    expect(readdirSync(dir)).toEqual([`${conversation.id}.json`]);
  });

  it('throttles saveSoon to one write per interval and flush forces the last state', async () => {
    const store = new ConversationStore(dir, { throttleMs: 400 });
    await store.load();
    const conversation = await store.create();
    const reply = message('r', 'assistant', 'tok0');
    reply.status = 'streaming';
    conversation.messages.push(reply);
    const textOnDisk = () => onDisk(conversation.id).messages[0]?.text;

    // After a quiet period the first call writes at once.
    const leading = Date.now();
    await store.saveSoon(conversation);
    expect(textOnDisk()).toBe('tok0');

    // Further tokens within the interval are held (timers never fire early) ...
    const acks: Array<Promise<void>> = [];
    for (let i = 1; i <= 5; i += 1) {
      reply.text += ` tok${i}`;
      acks.push(store.saveSoon(conversation));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(textOnDisk()).toBe('tok0');
    // ... and land together in one write once the interval has passed.
    await Promise.all(acks);
    expect(Date.now() - leading).toBeGreaterThanOrEqual(390);
    expect(textOnDisk()).toBe('tok0 tok1 tok2 tok3 tok4 tok5');

    // flush() writes a held state without waiting for the interval.
    reply.text += ' end';
    reply.status = 'done';
    const last = store.saveSoon(conversation);
    const flushedAt = Date.now();
    await store.flush();
    await last;
    expect(Date.now() - flushedAt).toBeLessThan(300);
    expect(onDisk(conversation.id).messages[0]).toMatchObject({ status: 'done', text: 'tok0 tok1 tok2 tok3 tok4 tok5 end' });
  });

  it('drops a pending saveSoon when the conversation is deleted', async () => {
    const store = new ConversationStore(dir, { throttleMs: 10_000 });
    await store.load();
    const conversation = await store.create();
    await store.saveSoon(conversation);
    const held = store.saveSoon({ ...conversation, title: 'held' });
    await store.delete(conversation.id);
    await expect(held).rejects.toMatchObject({ code: 'not-found' });
    await store.flush();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('searches titles and messages case-insensitively with a snippet around the first hit', async () => {
    const store = new ConversationStore(dir);
    await store.load();
    const a = await store.create({ title: 'Kubernetes notes' });
    const b = await store.create();
    const long = `${'lorem ipsum '.repeat(10)}Then the ÉCLAIR recipe says: bake at 200 degrees for twenty minutes, ${'dolor sit '.repeat(15)}`;
    b.messages.push(message('b1', 'user', 'how do I bake?'), message('b2', 'assistant', long));
    b.updatedAt = clock + 100;
    await store.save(b);

    const byMessage = store.search('éclair');
    expect(byMessage).toHaveLength(1);
    const hit = byMessage[0]!;
    expect(hit).toMatchObject({ id: b.id, matchedIn: 'message', messageId: 'b2', messageCount: 2 });
    expect(hit.snippet.startsWith('…')).toBe(true);
    expect(hit.snippet.endsWith('…')).toBe(true);
    expect(hit.snippet.slice(hit.highlight.start, hit.highlight.start + hit.highlight.length)).toBe('ÉCLAIR');
    expect(hit.snippet.length).toBeLessThan(140);

    expect(store.search('KUBER')).toMatchObject([{ id: a.id, matchedIn: 'title', snippet: 'Kubernetes notes', highlight: { start: 0, length: 5 } }]);
    // Regex characters in the query are literal.
    expect(store.search('bake?')).toMatchObject([{ id: b.id, messageId: 'b1' }]);
    expect(store.search('nothing like this')).toEqual([]);
    expect(store.search('   ')).toEqual([]);
  });

  it('quarantines a truncated file and a schema-invalid one and loads the rest', async () => {
    const store = new ConversationStore(dir);
    await store.load();
    const good = await store.create({ title: 'Good' });
    const truncated = JSON.stringify({ ...good, id: 'trunc', title: 'Truncated' }).slice(0, 40);
    const invalid = JSON.stringify({ ...good, id: 'invalid', messages: [{ id: 'x', role: 'robot', text: 'hi', createdAt: 1, status: 'done' }] });
    const mismatched = JSON.stringify({ ...good, id: 'someone-else' });
    writeFileSync(path.join(dir, 'trunc.json'), truncated);
    writeFileSync(path.join(dir, 'invalid.json'), invalid);
    writeFileSync(path.join(dir, 'mismatch.json'), mismatched);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a conversation');

    const reopened = new ConversationStore(dir);
    const { conversations, quarantined } = await reopened.load();
    expect(conversations.map((c) => c.title)).toEqual(['Good']);
    expect(quarantined).toHaveLength(3);
    const byName = new Map(quarantined.map((q) => [path.basename(q.file), q]));
    expect(byName.get('trunc.json')?.reason).toMatch(/not valid JSON/);
    expect(byName.get('invalid.json')?.reason).toMatch(/messages\.0\.role/);
    expect(byName.get('mismatch.json')?.reason).toMatch(/does not match/);
    for (const [name, original] of [
      ['trunc.json', truncated],
      ['invalid.json', invalid],
      ['mismatch.json', mismatched],
    ] as const) {
      const entry = byName.get(name)!;
      expect(path.basename(entry.movedTo)).toMatch(new RegExp(`^${name.replace('.', '\\.')}\\.corrupt-`));
      expect(readFileSync(entry.movedTo, 'utf8')).toBe(original);
      expect(existsSync(path.join(dir, name))).toBe(false);
    }
    // A second load finds nothing new to quarantine.
    expect((await new ConversationStore(dir).load()).quarantined).toEqual([]);
  });
});
