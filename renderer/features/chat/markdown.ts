/**
 * Model output is untrusted. It is rendered as markdown with raw HTML off (markdown-it escapes
 * it), links limited to http(s) and mailto, and images replaced by their alt text so that nothing
 * is fetched from anywhere (the CSP would block it too).
 */
import MarkdownIt from 'markdown-it';

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });

const SAFE_LINK = /^(https?:|mailto:)/i;
markdown.validateLink = (url: string) => SAFE_LINK.test(url.trim());

markdown.renderer.rules.image = (tokens, index) => {
  const token = tokens[index];
  const alt = token ? markdown.utils.escapeHtml(token.content || 'image') : 'image';
  return `<span class="md-image-placeholder">[image: ${alt}]</span>`;
};

const defaultLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  const token = tokens[index];
  token?.attrSet('rel', 'noopener noreferrer nofollow');
  token?.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, index, options, env, self);
};

// Table alignment as classes: the CSP refuses style attributes (and would log each cell).
for (const rule of ['th_open', 'td_open'] as const) {
  markdown.renderer.rules[rule] = (tokens, index, options, _env, self) => {
    const token = tokens[index];
    const align = /text-align:(left|center|right)/.exec(String(token?.attrGet('style') ?? ''))?.[1];
    if (token?.attrs) token.attrs = token.attrs.filter(([name]) => name !== 'style');
    if (token && align) token.attrJoin('class', `align-${align}`);
    return self.renderToken(tokens, index, options);
  };
}

/** Token types whose `map` means "these source lines are shown". */
const SHOWN = new Set(['inline', 'fence', 'code_block', 'table_open']);
const HAS_WORDS = /[\p{L}\p{N}]/u;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:/;

/**
 * markdown-it silently drops whatever is nested deeper than its limit (100 levels), so a model
 * could hide words from the user that still go back to the model next turn. True when a source
 * line with words in it is not covered by anything rendered.
 */
function dropsText(tokens: ReturnType<typeof markdown.parse>, text: string): boolean {
  const lines = text.split('\n');
  const shown = new Uint8Array(lines.length);
  for (const token of tokens) {
    if (!SHOWN.has(token.type) || !token.map) continue;
    for (let line = token.map[0]; line < token.map[1]; line += 1) shown[line] = 1;
  }
  return lines.some((line, index) => !shown[index] && HAS_WORDS.test(line) && !LINK_DEFINITION.test(line));
}

/** HTML for a piece of model output; safe to assign to innerHTML. */
export function renderMarkdown(text: string): string {
  const env = {};
  const tokens = markdown.parse(text, env);
  // Rather plain text than hidden text.
  if (dropsText(tokens, text)) return `<p class="md-plain">${markdown.utils.escapeHtml(text)}</p>`;
  return markdown.renderer.render(tokens, markdown.options, env);
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const CONTINUES = /^(\s|[-*+](\s|$)|\d{1,9}[.)](\s|$))/;

/**
 * Splits markdown into blocks that render the same one by one as together, so that a streaming
 * reply re-renders only its last block: cuts only at blank lines outside code fences, and never
 * before an indented line or a list item (loose lists and indented code stay whole).
 */
export function markdownBlocks(text: string): string[] {
  const blocks: string[] = [];
  let fence: string | null = null;
  let start = 0;
  let position = 0;
  let previousBlank = false;
  while (position < text.length) {
    const end = text.indexOf('\n', position);
    const lineEnd = end === -1 ? text.length : end;
    const line = text.slice(position, lineEnd);
    const blank = line.trim() === '';
    if (fence === null && previousBlank && !blank && position > start && !CONTINUES.test(line)) {
      blocks.push(text.slice(start, position));
      start = position;
    }
    const marker = FENCE.exec(line)?.[1];
    if (marker) {
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
    }
    previousBlank = blank && fence === null;
    position = end === -1 ? text.length : end + 1;
  }
  if (start < text.length || blocks.length === 0) blocks.push(text.slice(start));
  return blocks;
}

/**
 * markdownBlocks for a text that grew from `previous` (a streaming reply): the blocks before the
 * last one cannot change when text is appended, so only the last block and the new text are split
 * again. Falls back to a full split when the text did not just grow.
 */
export function appendBlocks(previous: { text: string; blocks: string[] }, text: string): string[] {
  if (previous.blocks.length < 2 || text.length < previous.text.length || !text.startsWith(previous.text)) return markdownBlocks(text);
  const kept = previous.blocks.slice(0, -1);
  let offset = 0;
  for (const block of kept) offset += block.length;
  return [...kept, ...markdownBlocks(text.slice(offset))];
}
