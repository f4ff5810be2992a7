/**
 * What the model sees of a reply that failed over from a server (main's `historyFor`): the retry
 * replaces the server's interrupted part, unless Stop ended the retry before it said anything; then
 * the interrupted part is the answer the next reply builds on.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation } from '../../../shared/domain';
import { historyFor } from '../../../electron/main/core/chat-service';

const message = (id: string, role: ChatMessage['role'], text: string, status: ChatMessage['status'] = 'done'): ChatMessage => ({
  id,
  role,
  text,
  createdAt: 0,
  status,
});

function conversation(retryText: string, retryStatus: ChatMessage['status']): Conversation {
  return {
    id: 'c',
    title: 't',
    systemPrompt: '',
    createdAt: 0,
    updatedAt: 0,
    messages: [
      message('u1', 'user', 'Tell me a story.'),
      message('a1', 'assistant', 'Once upon', 'interrupted'),
      message('a2', 'assistant', retryText, retryStatus),
      message('u2', 'user', 'Go on.'),
    ],
  };
}

describe('the history after a failover', () => {
  it('the retry replaces the interrupted part', () => {
    expect(historyFor(conversation('Once upon a time, a llama.', 'done'), 4).map((t) => t.text)).toEqual([
      'Tell me a story.',
      'Once upon a time, a llama.',
      'Go on.',
    ]);
  });

  it('Stop before the retry said anything: the interrupted part stays the answer', () => {
    expect(historyFor(conversation('', 'stopped'), 4).map((t) => t.text)).toEqual(['Tell me a story.', 'Once upon', 'Go on.']);
  });
});
