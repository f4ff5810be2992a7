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

/** HTML for a piece of model output; safe to assign to innerHTML. */
export function renderMarkdown(text: string): string {
  return markdown.render(text);
}
