import { describe, expect, it } from 'vitest';
import { appendBlocks, markdownBlocks, renderMarkdown } from '../../../renderer/features/chat/markdown';

const DOCS = [
  'Hello **world**.\n\nSecond paragraph\nwith two lines.\n\n# Heading\n\nEnd.',
  'Intro:\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n\nAfter the code.',
  'Loose list:\n\n- one\n\n- two\n\n  continued\n\n- three\n\nDone.',
  '1. first\n\n2. second\n\n3. third\n\nParagraph.',
  'Indented code:\n\n    line one\n\n    line two\n\nText.',
  '> quote one\n\n> quote two\n\n~~~\nfenced\n\n~~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nend',
  '',
  'no blank lines at all\njust lines',
  'trailing blank lines\n\n\n',
  '```\nunclosed fence\n\nstill code',
];

describe('markdownBlocks', () => {
  it('keeps every character: the blocks join back to the text', () => {
    for (const doc of DOCS) expect(markdownBlocks(doc).join('')).toBe(doc);
  });

  it('renders block by block exactly as the whole text renders', () => {
    for (const doc of DOCS) expect(markdownBlocks(doc).map(renderMarkdown).join('')).toBe(renderMarkdown(doc));
  });

  it('cuts at blank lines between paragraphs, not inside code fences or lists', () => {
    expect(markdownBlocks('a\n\nb\n\nc')).toEqual(['a\n\n', 'b\n\n', 'c']);
    expect(markdownBlocks('```\nx\n\ny\n```\n\nz')).toEqual(['```\nx\n\ny\n```\n\n', 'z']);
    expect(markdownBlocks('- a\n\n- b')).toEqual(['- a\n\n- b']);
  });

  it('a streaming text keeps its earlier blocks unchanged as it grows', () => {
    const full = DOCS[0]!;
    let previous: string[] = [];
    for (let n = 1; n <= full.length; n += 1) {
      const blocks = markdownBlocks(full.slice(0, n));
      // All but the last block of the previous step are still there, identical.
      expect(blocks.slice(0, Math.max(0, previous.length - 1))).toEqual(previous.slice(0, -1));
      previous = blocks;
    }
  });
});

describe('appendBlocks', () => {
  it('splitting only the end of a growing text gives the same blocks as splitting all of it', () => {
    for (const doc of DOCS) {
      let state = { text: '', blocks: [] as string[] };
      for (let n = 0; n <= doc.length; n += 3) {
        const text = doc.slice(0, n);
        const blocks = appendBlocks(state, text);
        expect(blocks).toEqual(markdownBlocks(text));
        state = { text, blocks };
      }
    }
  });

  it('starts over when the text was replaced rather than extended', () => {
    const state = { text: 'a\n\nb\n\nc', blocks: markdownBlocks('a\n\nb\n\nc') };
    expect(appendBlocks(state, 'x\n\ny')).toEqual(['x\n\n', 'y']);
  });
});
