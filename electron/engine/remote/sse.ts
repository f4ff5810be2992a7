/**
 * An incremental Server-Sent Events reader (the WHATWG "event stream" format an OpenAI-compatible
 * server streams replies in): bytes go in as they arrive, whole events come out. Lines end in LF,
 * CR LF or CR; `data:` lines of one event are joined with LF; comments (`:`) and other fields are
 * ignored; a blank line ends an event. One event may not exceed `maxEventBytes`, so a server that
 * never ends its event cannot make the engine buffer without bound.
 */
import { RemoteError } from './remote-error';

/** Default cap on one event's size, bytes (a token chunk is a few hundred bytes; the last one with timings under 2 KB). */
export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

/** Reads events out of a stream of text chunks. */
export class SseReader {
  private readonly decoder = new TextDecoder();
  /** Text of the line being read (no terminator yet). */
  private line = '';
  /** The `data:` lines of the event being read. */
  private data: string[] = [];
  /** Characters of the event being read (its data lines so far). */
  private dataChars = 0;
  /** The previous chunk ended in CR: an LF at the start of the next one belongs to it. */
  private pendingCr = false;

  constructor(
    private readonly maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
    private readonly host = 'the server',
  ) {}

  /** Feeds bytes; returns the `data` of every event they completed, in order. Throws RemoteError `oversized`. */
  push(bytes: Uint8Array): string[] {
    const events = this.feed(this.decoder.decode(bytes, { stream: true }));
    // What is buffered of the unfinished event (a character is at least a byte).
    if (this.line.length + this.dataChars > this.maxEventBytes) throw this.oversized();
    return events;
  }

  /** Whether bytes of an unfinished event are buffered (a stream that stops here was cut). */
  get midEvent(): boolean {
    return this.line.length > 0 || this.data.length > 0;
  }

  private feed(text: string): string[] {
    const events: string[] = [];
    let start = 0;
    if (this.pendingCr && text.startsWith('\n')) start = 1;
    // A line alone over the cap is refused before it is scanned further.
    if (this.line.length + text.length - start > this.maxEventBytes && !/[\r\n]/.test(text)) throw this.oversized();
    this.pendingCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.line + text.slice(start, i);
      this.line = '';
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
      const event = this.takeLine(line);
      if (event !== null) events.push(event);
    }
    this.line += text.slice(start);
    return events;
  }

  /** One whole line; returns the event's data when the line ends it. */
  private takeLine(line: string): string | null {
    if (line === '') {
      const data = this.data.length > 0 ? this.data.join('\n') : null;
      this.data = [];
      this.dataChars = 0;
      return data;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return null;
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
    this.dataChars += value.length + 1;
    if (this.dataChars > this.maxEventBytes) throw this.oversized();
    return null;
  }

  private oversized(): RemoteError {
    const limit = Math.round(this.maxEventBytes / 1024);
    return new RemoteError('oversized', `${this.host} sent a stream event over ${limit} KB; Mai stopped reading the reply.`);
  }
}
