/**
 * IPC fuzzing of the real web host over its real WebSocket (token + right Origin, as the page has
 * them): 10 000 seeded random and malformed frames — not JSON, binary, huge, wrong envelopes, valid
 * envelopes with bad params, valid calls of harmless methods, a few chat messages and one engine
 * restart. Every identifiable request must get exactly one answer, and the host, its engine and the
 * chat must still work afterwards.
 *
 * State-changing methods (settings:update, models:select, chat:new, conversations:*, …) only ever
 * get params that their schema refuses, so the fuzz cannot rewrite the user's settings or data.
 */
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { appContract } from '../../shared/contract';
import { ensureTestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';
import { rng } from '../helpers/rng';

const FRAMES = 10_000;
const SEED = 0x6675_7a7a;

let host: RunningHost;

test.beforeAll(async () => {
  const models = await ensureTestModels();
  host = await startHost(['--model', models.tiny, '--max-tokens', '24']);
});

test.afterAll(async () => {
  await host?.stop();
});

/** Methods that only read (or stop a reply): fuzzed with any params, valid ones included. */
const HARMLESS = ['app:get-state', 'models:list', 'settings:get', 'conversations:list', 'conversations:search', 'chat:stop'].filter((m) =>
  Object.hasOwn(appContract.methods, m),
);
const METHODS = Object.keys(appContract.methods);
/** Params every method's schema refuses (all take an object). */
const REFUSED_PARAMS: unknown[] = [null, 42, 'params', [], [{}], true, -1.5];

interface Frame {
  category: string;
  data: string | Buffer;
  binary?: boolean;
  /** Set when the frame carries an identifiable request (text, JSON, kind 'request', valid seq). */
  seq?: number;
  method?: unknown;
}

interface Response {
  kind: 'response';
  seq: unknown;
  ok: boolean;
  error?: { code: string; message: string };
  result?: unknown;
}

function makeFrames(): { frames: Frame[]; restartSeq: number; chatSeqs: number[] } {
  const random = rng(SEED);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  let nextSeq = 1;
  const frames: Frame[] = [];
  const request = (category: string, method: unknown, params: unknown, extra: object = {}) => {
    const seq = nextSeq++;
    frames.push({ category, seq, method, data: JSON.stringify({ kind: 'request', seq, method, params, ...extra }) });
    return seq;
  };
  const randomText = (max: number) => String.fromCharCode(...Array.from({ length: int(max) }, () => int(0xd7ff) + 1));
  const randomJson = (depth = 0): unknown => {
    switch (int(depth > 3 ? 4 : 7)) {
      case 0:
        return randomText(30);
      case 1:
        return pick([0, -1, 1e308, 2 ** 53 + 1, 0.5, null, true, false]);
      case 2:
        return JSON.parse(pick(['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":2}}}', '{}', '[]']));
      case 3:
        return pick(['__proto__', 'constructor', '<script>alert(1)</script>', '../../etc/passwd', '\u0000', '']);
      case 4:
        return Array.from({ length: int(5) }, () => randomJson(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: int(5) }, () => [pick(['a', 'text', 'patch', 'path', 'id', '__proto__', 'constructor', randomText(8)]), randomJson(depth + 1)]),
        );
    }
  };

  const restartAt = 2_000;
  const chatAt = new Set([500, 3_000, 5_500, 8_000, 9_500]);
  let restartSeq = -1;
  const chatSeqs: number[] = [];
  for (let i = 0; i < FRAMES; i += 1) {
    if (i === restartAt) {
      restartSeq = request('engine restart (once)', 'engine:restart', {});
      continue;
    }
    if (chatAt.has(i)) {
      chatSeqs.push(request('chat:send (valid)', 'chat:send', { text: `fuzz message ${i}` }));
      continue;
    }
    const roll = random();
    if (roll < 0.1) {
      // Not JSON at all, or JSON that is not an envelope.
      frames.push({
        category: 'not JSON / not an object',
        data: pick([
          'not json',
          '{',
          '{"kind":"request","seq":1',
          '',
          ' ',
          'null',
          '[]',
          '"request"',
          '42',
          'true',
          '\u0000\u0001',
          randomText(200),
          '{"kind":"request"'.repeat(50),
          `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
        ]),
      });
    } else if (roll < 0.17) {
      // Binary frames are refused unread (the page only sends text), even when they hold a request.
      const bytes =
        int(2) === 0
          ? Buffer.from(Array.from({ length: int(512) + 1 }, () => int(256)))
          : Buffer.from(JSON.stringify({ kind: 'request', seq: 1, method: 'app:get-state', params: {} }));
      frames.push({ category: 'binary', data: bytes, binary: true });
    } else if (roll < 0.175) {
      // Huge but under the 8 MiB limit: refused for its params, or garbage.
      const size = (int(6) + 1) * 1024 * 1024;
      if (int(2) === 0) request('huge (1-6 MiB)', pick(['chat:send', 'app:get-state']), { text: 'h'.repeat(size) });
      else frames.push({ category: 'huge (1-6 MiB)', data: 'g'.repeat(size) });
    } else if (roll < 0.35) {
      // Wrong envelopes. Some are still identifiable requests (kind + valid seq): those get "Malformed request".
      const variant = int(12);
      if (variant === 0) request('wrong envelope (identifiable)', 'm'.repeat(101), {});
      else if (variant === 1) request('wrong envelope (identifiable)', 42, {});
      else if (variant === 2) request('wrong envelope (identifiable)', null, {});
      else if (variant === 3) request('wrong envelope (identifiable)', { toString: 'app:get-state' }, {});
      else if (variant === 4)
        frames.push({
          category: 'wrong envelope',
          data: JSON.stringify({
            kind: 'request',
            seq: pick([-1, 1.5, '7', null, 2 ** 53, {}, [], Number.POSITIVE_INFINITY]),
            method: 'app:get-state',
            params: {},
          }),
        });
      else if (variant === 5)
        frames.push({
          category: 'wrong envelope',
          data: JSON.stringify({ kind: pick(['REQUEST', 'req', '', null, 1, ['request']]), seq: nextSeq, method: 'app:get-state', params: {} }),
        });
      else if (variant === 6) frames.push({ category: 'wrong envelope', data: JSON.stringify({ seq: nextSeq, method: 'app:get-state', params: {} }) });
      else if (variant === 7)
        frames.push({
          category: 'stray response',
          data: JSON.stringify({
            kind: 'response',
            seq: int(1000),
            ok: pick([true, false]),
            result: randomJson(),
            error: { name: 'MaiError', code: 'internal', message: 'x' },
          }),
        });
      else if (variant === 8)
        frames.push({
          category: 'stray event',
          data: JSON.stringify({ kind: 'event', name: pick(['onChatToken', 'onNotice', '__proto__', 'x'.repeat(200)]), payload: randomJson() }),
        });
      else if (variant === 9) frames.push({ category: 'wrong envelope', data: `{"__proto__":{"kind":"request","seq":${nextSeq}},"method":"app:get-state"}` });
      else if (variant === 10) request('wrong envelope (identifiable)', 'app:get-state', {}, { kind: 'request', ok: true, result: randomJson() });
      else frames.push({ category: 'wrong envelope', data: JSON.stringify(randomJson()) });
    } else if (roll < 0.6) {
      // A valid envelope, params the method's schema refuses (any method, also the state-changing ones).
      const method = pick(METHODS);
      const params = method === 'settings:update' && int(2) === 0 ? { patch: pick([42, 'x', null, [1]]) } : pick(REFUSED_PARAMS);
      request('valid envelope, refused params', method, params);
    } else if (roll < 0.7) {
      // Unknown and prototype method names.
      request(
        'unknown method',
        pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'no:such', 'APP:GET-STATE', 'app:get-state\u0000', '', randomText(20)]),
        randomJson(),
      );
    } else if (roll < 0.85) {
      // Harmless methods with random params (objects pass: their unknown keys are stripped).
      request('harmless method, random params', pick(HARMLESS), randomJson());
    } else {
      const method = pick(HARMLESS);
      request('harmless method, valid params', method, method === 'conversations:search' ? { query: randomText(10) } : {});
    }
  }
  return { frames, restartSeq, chatSeqs };
}

function connect(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(host.origin).port}/ws?token=${host.token}`, { origin: host.origin, maxPayload: 64 * 1024 * 1024 });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** One request/answer on an open socket, outside the fuzz's numbering. */
function call(ws: WebSocket, method: string, params: unknown, seq: number): Promise<Response> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as Response;
      if (message.kind === 'response' && message.seq === seq) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'request', seq, method, params }));
  });
}

test('10 000 random and malformed WebSocket frames: one answer per request, host, engine and chat survive', async () => {
  test.setTimeout(300_000);
  const { frames, restartSeq, chatSeqs } = makeFrames();
  const ws = await connect();
  const answers = new Map<number, Response[]>();
  const unexpected: unknown[] = [];
  const chatDone = new Map<string, string>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Response | { kind: 'event'; name: string; payload: { message?: { id: string; status: string } } };
    if (message.kind === 'response') {
      if (typeof message.seq !== 'number') return void unexpected.push(message);
      const list = answers.get(message.seq) ?? [];
      list.push(message);
      answers.set(message.seq, list);
    } else if (message.kind === 'event' && message.name === 'onChatMessage' && message.payload.message) {
      chatDone.set(message.payload.message.id, message.payload.message.status);
    }
  });

  // Wait for the engine's first model before fuzzing, so the restart and chats meet a working engine.
  await expect
    .poll(async () => ((await call(ws, 'app:get-state', {}, 1e15)).result as { model: unknown } | undefined)?.model ?? null, { timeout: 60_000 })
    .not.toBeNull();

  const started = performance.now();
  for (const [index, frame] of frames.entries()) {
    const sent = new Promise<void>((resolve, reject) => ws.send(frame.data, { binary: frame.binary ?? false }, (error) => (error ? reject(error) : resolve())));
    // Backpressure: let the socket drain now and then.
    if (index % 100 === 99 || typeof frame.data !== 'string' || frame.data.length > 1_000_000) await sent;
  }
  const identifiable = frames.filter((f) => f.seq !== undefined).map((f) => f.seq as number);
  await expect.poll(() => identifiable.filter((seq) => !answers.has(seq)).length, { timeout: 120_000, intervals: [250] }).toBe(0);
  // Late duplicates would show up now.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sendMs = performance.now() - started;

  const categories = new Map<string, number>();
  for (const frame of frames) categories.set(frame.category, (categories.get(frame.category) ?? 0) + 1);
  const unanswered = identifiable.filter((seq) => !answers.has(seq));
  const duplicated = identifiable.filter((seq) => (answers.get(seq)?.length ?? 0) > 1);
  const known = new Set([...identifiable, 1e15]);
  const stray = [...answers.keys()].filter((seq) => !known.has(seq));
  const byCode = new Map<string, number>();
  /** Refusals other than the validation ones, by method: what the handlers themselves answered. */
  const handlerRefusals = new Map<string, number>();
  for (const frame of frames) {
    if (frame.seq === undefined) continue;
    const answer = answers.get(frame.seq)?.[0];
    const code = answer?.ok ? 'ok' : (answer?.error?.code ?? 'none');
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
    if (code !== 'ok' && code !== 'bad-request' && code !== 'unknown-method') {
      const key = `${String(frame.method)} → ${code}`;
      handlerRefusals.set(key, (handlerRefusals.get(key) ?? 0) + 1);
    }
  }

  console.log(`ipc fuzz (web host): ${frames.length} frames in ${(sendMs / 1000).toFixed(1)} s: ${[...categories].map(([c, n]) => `${c} ${n}`).join(', ')}`);
  console.log(
    `identifiable requests ${identifiable.length}, answered ${identifiable.length - unanswered.length} exactly once (${[...byCode].map(([c, n]) => `${c} ${n}`).join(', ')}); unanswered ${unanswered.length}, duplicated ${duplicated.length}, answers to unknown seqs ${stray.length + unexpected.length}`,
  );
  console.log(`refused by the handlers themselves: ${[...handlerRefusals].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);

  expect(unanswered).toEqual([]);
  expect(duplicated).toEqual([]);
  expect(stray).toEqual([]);
  expect(unexpected).toEqual([]);
  // The state-changing methods never ran: they only got refused params.
  expect(answers.get(restartSeq)?.[0]?.ok).toBe(true);
  for (const seq of chatSeqs) expect(['ok', 'busy']).toContain(answers.get(seq)?.[0]?.ok ? 'ok' : answers.get(seq)?.[0]?.error?.code);

  // The host process is alive, the engine answers, and a normal message still gets a reply.
  expect(host.process.exitCode).toBeNull();
  expect(host.process.signalCode).toBeNull();
  await call(ws, 'chat:stop', {}, 1e15 + 1);
  await expect
    .poll(
      async () => {
        const state = (await call(ws, 'app:get-state', {}, 1e15 + 2)).result as { engine: { state: string }; generating: boolean };
        return `${state.engine.state} ${state.generating}`;
      },
      { timeout: 60_000 },
    )
    .toBe('ready false');
  const sent = await call(ws, 'chat:send', { text: 'Hello after the fuzz.' }, 1e15 + 3);
  expect(sent.ok).toBe(true);
  const replyId = (sent.result as { assistantMessageId: string }).assistantMessageId;
  await expect.poll(() => chatDone.get(replyId), { timeout: 60_000 }).toBe('done');
  const final = (await call(ws, 'app:get-state', {}, 1e15 + 4)).result as {
    engine: { state: string; restarts: number };
    conversation: { messages: Array<{ id: string; text: string }> };
  };
  const reply = final.conversation.messages.find((m) => m.id === replyId);
  console.log(
    `after the fuzz: host alive (exitCode ${host.process.exitCode}), engine ${final.engine.state} (restarts ${final.engine.restarts}), reply ${reply?.text.length ?? 0} characters`,
  );
  expect(final.engine.state).toBe('ready');
  expect(reply?.text.length ?? 0).toBeGreaterThan(0);
  expect(host.output()).not.toMatch(/Unhandled|uncaught|FATAL|Maximum call stack/i);
  ws.close();
});

test('a frame over the 8 MiB limit closes only its own connection', async () => {
  const victim = await connect();
  const closed = new Promise<number>((resolve) => victim.once('close', (code) => resolve(code)));
  victim.send('o'.repeat(9 * 1024 * 1024));
  const code = await closed;
  console.log(`oversized frame: connection closed with ${code}; host alive: ${host.process.exitCode === null}`);
  // 1009 (message too big) when the close frame arrives first, 1006 when the socket reset wins the race.
  expect([1006, 1009]).toContain(code);
  expect(host.process.exitCode).toBeNull();
  const fresh = await connect();
  const answer = await call(fresh, 'app:get-state', {}, 1);
  expect(answer.ok).toBe(true);
  fresh.close();
});
