/**
 * Hostile model output, rendered by the real built renderer, served by the real web host (so its
 * real Content-Security-Policy header applies), in Debian's Chromium. Playwright stands in for main
 * on the WebSocket: app:get-state answers a conversation made of the hostile outputs, and more of
 * them arrive as onChatMessage / onChatToken events, as a streaming reply would.
 *
 * Two layers are checked separately: the markdown renderer must emit nothing dangerous (no element
 * outside markdown's own, no attribute but a safe href), AND nothing may be attempted at all (no
 * CSP violation, no script, no request), so the CSP is a second wall, not the only one.
 */
import { expect, test, type Page, type WebSocketRoute } from '@playwright/test';
import { appStateSchema, type AppState } from '../../shared/contract';
import type { ChatMessage } from '../../shared/domain';
import { defaultAppSettings } from '../../shared/settings';
import { DEEP_NESTING_CATEGORY, HOSTILE_HOSTS, hostileOutputs, hostileUrls, type HostileOutput } from '../fixtures/hostile-outputs';
import { ensureTestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';

let host: RunningHost;

test.beforeAll(async () => {
  const models = await ensureTestModels();
  // The engine is not used (the WebSocket is answered by the test), the 1 MB model starts fastest.
  host = await startHost(['--model', models.tiny]);
});

test.afterAll(async () => {
  await host?.stop();
});

const CONVERSATION_ID = 'hostile-conversation';
const HOSTILE_NAME = `<img src="https://evil.example/name.png" onerror="pwn('name')">`;

/** Elements markdown-it may produce (html off, images replaced by a span). */
const ALLOWED_TAGS = [
  'P',
  'BR',
  'EM',
  'STRONG',
  'S',
  'CODE',
  'PRE',
  'BLOCKQUOTE',
  'UL',
  'OL',
  'LI',
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
  'HR',
  'A',
  'TABLE',
  'THEAD',
  'TBODY',
  'TR',
  'TH',
  'TD',
  'SPAN',
];
const FORBIDDEN_SELECTOR =
  'script, img, iframe, object, embed, svg, math, form, base, meta, link, style, video, audio, source, picture, input, button, textarea, select, frame, frameset, portal, applet, template, area, image, track';

interface Traps {
  dialogs: string[];
  /** Every request the page made that is not to the web host itself. */
  leaving: string[];
  requests: string[];
  consoleErrors: string[];
  popups: number;
  /** Resolves once the renderer opened its (faked) WebSocket. */
  socket: Promise<WebSocketRoute>;
}

function message(output: HostileOutput, status: ChatMessage['status'] = 'done', text = output.text): ChatMessage {
  return { id: output.id, role: 'assistant', text, createdAt: 1_700_000_000_000, status, model: HOSTILE_NAME };
}

function buildState(inState: readonly HostileOutput[]): AppState {
  // Parsed by the contract's own schema: what main would be allowed to send.
  return appStateSchema.parse({
    mode: 'web',
    engine: { state: 'ready', pid: 4242, restarts: 0 },
    model: {
      path: '/models/hostile.gguf',
      name: HOSTILE_NAME,
      sizeBytes: 1,
      synthetic: false,
      contextSize: 4096,
      threads: 2,
      gpu: false,
      gpuLayers: 0,
      loadMs: 1,
    },
    models: [{ path: `/models/${HOSTILE_NAME}.gguf`, fileName: `${HOSTILE_NAME}.gguf`, sizeBytes: 1, synthetic: false }],
    conversation: {
      id: CONVERSATION_ID,
      title: `<script>pwn('title')</script>`,
      systemPrompt: '',
      messages: [
        {
          id: 'user-0',
          role: 'user',
          text: `Please answer with <img src=x onerror=pwn('user')> and ![x](https://evil.example/u.png)`,
          createdAt: 1_700_000_000_000,
          status: 'done',
        },
        ...inState.map((output) => message(output)),
      ],
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    },
    generating: false,
    resource: null,
    decisions: [],
    ladder: [],
    tier: null,
    scalingPaused: false,
    conversations: [
      { id: CONVERSATION_ID, title: `<script>pwn('title')</script>`, updatedAt: 1_700_000_000_000, messageCount: inState.length + 1, preview: HOSTILE_NAME },
    ],
    suggestions: [{ id: 'hostile-suggestion', kind: 'threads', title: HOSTILE_NAME, detail: `<iframe src="https://evil.example/s"></iframe>` }],
    startupNotices: [],
  });
}

/** Installs the traps, fakes main on the WebSocket, opens the page. */
async function openWithFakeMain(page: Page, inState: readonly HostileOutput[]): Promise<Traps> {
  const hostOrigin = host.origin;
  const state = buildState(inState);
  let opened: (ws: WebSocketRoute) => void = () => {};
  const socket = new Promise<WebSocketRoute>((resolve) => (opened = resolve));
  const traps: Traps = { dialogs: [], leaving: [], requests: [], consoleErrors: [], popups: 0, socket };

  await page.addInitScript(() => {
    const w = window as unknown as { __pwned: string[]; __csp: Array<Record<string, string>>; pwn: (what: unknown) => void };
    w.__pwned = [];
    w.__csp = [];
    // Every payload calls pwn(); a call means model output ran script.
    w.pwn = (what) => void w.__pwned.push(String(what));
    document.addEventListener('securitypolicyviolation', (event) => {
      w.__csp.push({ directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample });
    });
  });
  page.on('dialog', (dialog) => {
    traps.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('popup', () => {
    traps.popups += 1;
  });
  page.on('console', (entry) => {
    if (entry.type() === 'error') traps.consoleErrors.push(entry.text());
  });
  page.on('request', (request) => {
    traps.requests.push(request.url());
    if (!request.url().startsWith(`${hostOrigin}/`)) traps.leaving.push(request.url());
  });
  // Anything not for the host is counted and stopped here, so even a miss never reaches the network.
  await page.context().route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(`${hostOrigin}/`)) return route.continue();
    if (!traps.leaving.includes(url)) traps.leaving.push(url);
    return route.abort('blockedbyclient');
  });

  await page.routeWebSocket(/\/ws\?/, (ws) => {
    // No connectToServer(): this handler is main.
    ws.onMessage((raw) => {
      const request = JSON.parse(String(raw)) as { kind: string; seq: number; method: string };
      if (request.kind !== 'request') return;
      const answer = (body: object) => ws.send(JSON.stringify({ kind: 'response', seq: request.seq, ...body }));
      if (request.method === 'app:get-state') answer({ ok: true, result: state });
      else if (request.method === 'models:list') answer({ ok: true, result: state.models });
      else if (request.method === 'settings:get') answer({ ok: true, result: defaultAppSettings });
      else if (request.method === 'conversations:list') answer({ ok: true, result: state.conversations });
      else answer({ ok: false, error: { name: 'MaiError', code: 'bad-request', message: `${request.method} is not served in this test.` } });
    });
    opened(ws);
  });

  const response = await page.goto(host.url);
  // The real web host's header, not only the <meta> of index.html.
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("img-src 'self' data:");
  return traps;
}

const sendEvent = (ws: WebSocketRoute, name: string, payload: unknown) => ws.send(JSON.stringify({ kind: 'event', name, payload }));

/** Rendered text of every assistant bubble, in order, with whitespace collapsed. */
async function visibleTexts(page: Page): Promise<string[]> {
  // Off-screen messages use content-visibility: auto, whose skipped content has no innerText; show
  // them all (through the CSSOM, which the CSP allows) to read what the user sees on scrolling.
  await page
    .locator('[data-testid^="message-"]')
    .evaluateAll((messages) => messages.forEach((m) => (m as HTMLElement).style.setProperty('content-visibility', 'visible')));
  const texts = await page
    .locator('[data-testid="message-assistant"] .message-body')
    .evaluateAll((bodies) => bodies.map((body) => (body as HTMLElement).innerText));
  return texts.map((text) => text.replace(/\s+/g, ' '));
}

const collapse = (text: string) => text.replace(/\s+/g, ' ');

test('300+ hostile model outputs render as inert text: no script, no request, nothing dangerous in the DOM', async ({ page }) => {
  test.setTimeout(180_000);
  const all = hostileOutputs();
  const outputs = all.filter((o) => o.category !== DEEP_NESTING_CATEGORY);
  expect(all.length).toBeGreaterThanOrEqual(300);
  // Two thirds arrive with the state, the rest as events after it; every 10th of those streams.
  const split = Math.floor((outputs.length * 2) / 3);
  const inState = outputs.slice(0, split);
  const asEvents = outputs.slice(split);
  const traps = await openWithFakeMain(page, inState);
  const ws = await traps.socket;

  const messages = page.getByTestId('message-assistant');
  await expect(messages).toHaveCount(inState.length, { timeout: 30_000 });
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');

  sendEvent(ws, 'onNotice', { level: 'warn', message: `<img src=x onerror=pwn('notice')> ![n](https://evil.example/n.png)` });
  asEvents.forEach((output, index) => {
    if (index % 10 === 0) {
      // Streamed in three pieces that split the markup, then finished.
      sendEvent(ws, 'onChatMessage', { conversationId: CONVERSATION_ID, message: message(output, 'streaming', '') });
      const third = Math.ceil(output.text.length / 3);
      for (let at = 0; at < output.text.length; at += third) {
        sendEvent(ws, 'onChatToken', { conversationId: CONVERSATION_ID, messageId: output.id, text: output.text.slice(at, at + third) });
      }
    }
    sendEvent(ws, 'onChatMessage', { conversationId: CONVERSATION_ID, message: message(output) });
  });
  await expect(messages).toHaveCount(outputs.length, { timeout: 30_000 });
  await expect(page.locator('[data-testid="message-assistant"][data-status="streaming"]')).toHaveCount(0);
  // Give lazy loads, refreshes, animations, autofocus and timers a moment to fire if anything slipped through.
  await page.mouse.move(200, 200);
  await page.mouse.move(600, 400);
  await page.waitForTimeout(1500);

  const dom = await page.evaluate(
    ({ allowedTags, forbiddenSelector }) => {
      const w = window as unknown as { __pwned: string[]; __csp: Array<Record<string, string>> };
      const bodies = [...document.querySelectorAll('[data-testid="message-assistant"] .message-body')];
      const forbidden: string[] = [];
      const badTags: string[] = [];
      const badAttributes: string[] = [];
      const hrefs: string[] = [];
      for (const body of bodies) {
        for (const element of body.querySelectorAll(forbiddenSelector)) forbidden.push(element.outerHTML.slice(0, 120));
        for (const element of body.querySelectorAll('*')) {
          // The renderer's own wrappers (one per markdown block); markdown-it never emits a <div>.
          const wrapper = element.tagName === 'DIV' && element.attributes.length === 1 && /^md-[a-z-]+$/.test(element.getAttribute('class') ?? '');
          if (wrapper) continue;
          if (!allowedTags.includes(element.tagName)) badTags.push(element.tagName);
          for (const attribute of element.attributes) {
            const name = attribute.name.toLowerCase();
            const value = attribute.value;
            const ok =
              (element.tagName === 'A' &&
                (name === 'href' ||
                  name === 'title' ||
                  (name === 'rel' && value === 'noopener noreferrer nofollow') ||
                  (name === 'target' && value === '_blank'))) ||
              (element.tagName === 'SPAN' && name === 'class' && value === 'md-image-placeholder') ||
              (element.tagName === 'CODE' && name === 'class' && value.startsWith('language-')) ||
              (element.tagName === 'OL' && name === 'start' && /^\d+$/.test(value)) ||
              (element.tagName === 'P' && name === 'class' && value === 'md-plain') ||
              ((element.tagName === 'TH' || element.tagName === 'TD') && name === 'class' && /^align-(left|right|center)$/.test(value));
            if (!ok) badAttributes.push(`${element.tagName} ${name}="${value.slice(0, 80)}"`);
          }
          if (element.tagName === 'A') hrefs.push(element.getAttribute('href') ?? '');
        }
      }
      return {
        pwned: [...w.__pwned],
        csp: [...w.__csp],
        forbidden,
        badTags,
        badAttributes,
        hrefs,
        alignedCells: bodies.reduce((n, body) => n + body.querySelectorAll('th[style], td[style]').length, 0),
        // Outside the bubbles too: nothing was added to the document itself.
        frames: document.querySelectorAll('iframe, frame, object, embed, portal, base').length,
        scripts: [...document.scripts].map((s) => s.src || `inline: ${s.textContent?.slice(0, 60)}`),
        refresh: document.querySelectorAll('meta[http-equiv]:not([http-equiv="Content-Security-Policy"])').length,
      };
    },
    { allowedTags: ALLOWED_TAGS, forbiddenSelector: FORBIDDEN_SELECTOR },
  );

  // 1. No script ran: no pwn(), no dialog, no inline handler even attempted, no popup, no navigation.
  const scriptsRun = dom.pwned.length + traps.dialogs.length;
  // Two CSP reports are not about model output and happen on an empty page too (see the control
  // test): zod 4 probes `Function('')` once per load, and markdown-it writes table alignment as a
  // style attribute, which style-src refuses (2 reports per aligned cell; cosmetic). Anything else
  // means the page tried something.
  const isZodProbe = (v: Record<string, string>) => v.directive === 'script-src' && v.blocked === 'eval';
  const isTableAlign = (v: Record<string, string>) => v.directive === 'style-src-attr' && v.blocked === 'inline';
  const otherViolations = dom.csp.filter((v) => !isZodProbe(v) && !isTableAlign(v));
  const cspRefusals = traps.consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text) && !/unsafe-eval|style attribute/i.test(text));
  // 2. Nothing left the page: every request went to the host, none to a URL from the outputs.
  const urls = hostileUrls(outputs);
  const toHostile = traps.requests.filter(
    (url) => HOSTILE_HOSTS.some((h) => url.includes(h)) || urls.some((u) => url.includes(u.replace(/^(https?:)?\/\//, ''))),
  );

  console.log(
    `hostile outputs rendered: ${outputs.length} (${inState.length} in app:get-state, ${asEvents.length} as events, ${Math.ceil(asEvents.length / 10)} streamed)`,
  );
  console.log(
    `scripts run: ${scriptsRun} (pwn calls ${dom.pwned.length}, dialogs ${traps.dialogs.length}); CSP violations caused by model output: ${otherViolations.length}` +
      ` (also seen: ${dom.csp.filter(isZodProbe).length} zod eval probes, ${dom.csp.filter(isTableAlign).length} refused table-alignment styles on ${dom.alignedCells} cells)`,
  );
  console.log(
    `requests leaving: ${traps.leaving.length}; requests to hostile URLs: ${toHostile.length} (${urls.length} distinct hostile URLs in the outputs; ${traps.requests.length} requests in all, all to the host)`,
  );
  console.log(
    `links kept: ${dom.hrefs.length} (all http(s)/mailto), forbidden elements: ${dom.forbidden.length}, unexpected attributes: ${dom.badAttributes.length}`,
  );

  expect(dom.pwned).toEqual([]);
  expect(traps.dialogs).toEqual([]);
  expect(traps.popups).toBe(0);
  expect(otherViolations).toEqual([]);
  expect(dom.csp.filter(isZodProbe).length).toBeLessThanOrEqual(2);
  expect(dom.csp.filter(isTableAlign).length).toBeLessThanOrEqual(2 * dom.alignedCells);
  expect(cspRefusals).toEqual([]);
  expect(page.url().startsWith(`${host.origin}/`)).toBe(true);
  expect(page.frames()).toHaveLength(1);

  expect(traps.leaving).toEqual([]);
  expect(toHostile).toEqual([]);
  expect(traps.requests.every((url) => url.startsWith(`${host.origin}/`))).toBe(true);

  expect(dom.forbidden).toEqual([]);
  expect(dom.badTags).toEqual([]);
  expect(dom.badAttributes).toEqual([]);
  expect(dom.hrefs.length).toBeGreaterThan(0);
  expect(dom.hrefs.filter((href) => !/^(https?:|mailto:)/i.test(href))).toEqual([]);
  expect(dom.frames).toBe(0);
  expect(dom.refresh).toBe(0);
  expect(dom.scripts.every((src) => src.startsWith(`${host.origin}/`))).toBe(true);
  // Hostile text outside the bubbles (title, model name, notice, suggestion) ran nothing either
  // (pwn/CSP checks above); the user's own message shows as plain text.
  await expect(page.getByTestId('message-user')).toContainText(`<img src=x onerror=pwn('user')>`);

  // 3. The user sees what the model wrote: the escaped HTML as text, nothing dropped.
  const texts = await visibleTexts(page);
  expect(texts).toHaveLength(outputs.length);
  const missing: string[] = [];
  outputs.forEach((output, index) => {
    const text = texts[index] ?? '';
    if (text.trim().length === 0 && output.visible.length > 0) missing.push(`${output.id}: empty`);
    for (const expected of output.visible) if (!text.includes(collapse(expected))) missing.push(`${output.id}: ${JSON.stringify(expected.slice(0, 80))}`);
  });
  const checked = outputs.reduce((sum, o) => sum + o.visible.length, 0);
  console.log(`visible-text checks: ${checked - missing.length}/${checked} passed`);
  expect(missing).toEqual([]);
});

test('control: the traps catch what the renderer must never do', async ({ page }) => {
  // Proves the checks above can fail: markup injected by hand (not through the renderer) is
  // refused by the real CSP and that refusal is seen; a hand-made request to a hostile URL is seen.
  const traps = await openWithFakeMain(page, hostileOutputs().slice(0, 3));
  await expect(page.getByTestId('message-assistant')).toHaveCount(3);
  // Baseline: before anything is injected, the only CSP reports are zod's eval probe.
  await page.waitForTimeout(500);
  const baseline = await page.evaluate(() =>
    (window as unknown as { __csp: Array<{ directive: string; blocked: string }> }).__csp.map((v) => `${v.directive} ${v.blocked}`),
  );
  expect(baseline.every((v) => v === 'script-src eval')).toBe(true);
  await page.evaluate(() => ((window as unknown as { __csp: unknown[] }).__csp.length = 0));
  await page.evaluate(() => {
    const div = document.createElement('div');
    div.innerHTML = `<img src="https://evil.example/control.png" onerror="pwn('control')">`;
    document.body.append(div);
  });
  await expect.poll(() => page.evaluate(() => (window as unknown as { __csp: unknown[] }).__csp.length)).toBeGreaterThan(0);
  const csp = await page.evaluate(() => (window as unknown as { __csp: Array<{ directive: string }> }).__csp.map((v) => v.directive));
  expect(csp).toContain('img-src');
  expect(await page.evaluate(() => (window as unknown as { __pwned: string[] }).__pwned)).toEqual([]);
  // A same-origin fetch is allowed by the CSP, so the request trap must see it.
  await page.evaluate(() => void fetch('/control-request').catch(() => {}));
  await expect.poll(() => traps.requests.some((url) => url.endsWith('/control-request'))).toBe(true);
  console.log(
    `control: baseline CSP reports ${baseline.length} (zod eval probe); after injection, refusals seen ${csp.length} (${[...new Set(csp)].join(', ')}), request trap saw ${traps.requests.length} host requests`,
  );
});

// Found by this suite: markdown-it's maxNesting (100) silently drops whatever is nested deeper, so a
// model could hide text from the user that stays in the conversation. The renderer now shows such
// a reply as plain text.
test('deeply nested markdown is not silently hidden from the user', async ({ page }) => {
  const outputs = hostileOutputs().filter((o) => o.category === DEEP_NESTING_CATEGORY);
  await openWithFakeMain(page, outputs);
  await expect(page.getByTestId('message-assistant')).toHaveCount(outputs.length);
  const texts = await visibleTexts(page);
  const missing: string[] = [];
  outputs.forEach((output, index) => {
    for (const expected of output.visible) if (!(texts[index] ?? '').includes(collapse(expected))) missing.push(`${output.id}: ${expected}`);
  });
  console.log(`deep nesting: ${missing.length} of ${outputs.reduce((s, o) => s + o.visible.length, 0)} expected texts hidden: ${missing.join('; ')}`);
  expect(missing).toEqual([]);
});
