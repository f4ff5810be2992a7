/**
 * Settings → "Record a trace", main's side: picks the file (in the data folder's `traces/`), asks
 * the engine to record into it, passes on when the recording stops on its own, and reveals the
 * file where the host can (Electron's `shell.showItemInFolder`; the browser shows the path with
 * a copy button instead).
 */
import os from 'node:os';
import path from 'node:path';
import type { AppEvents, AppHandlers } from '../../../shared/contract';
import { Emitter } from '../../../shared/emitter';
import { MaiError } from '../../../shared/errors';
import { DEFAULT_TRACE_MAX_BYTES, type TraceStatus } from '../../../shared/trace-recording';
import type { EngineHost } from './engine-host';

export type TraceServiceEvents = Pick<AppEvents, 'onTraceStatus' | 'onNotice'>;

/** What the service needs from its host. */
export interface TraceServiceOptions {
  /** Folder the `traces/` folder goes in; null = the system's temporary folder. */
  dataDir: string | null;
  /** Shows the file in the system's file manager (Electron); absent in the browser. */
  revealFile?: (file: string) => void;
  /** Size limit of a recording, bytes. Default DEFAULT_TRACE_MAX_BYTES (4 MiB). */
  maxBytes?: number;
}

/** A file name from the time, sortable, with no characters a file system refuses. */
export function traceFileName(now: Date): string {
  return `mai-trace-${now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/:/g, '-')}.json`;
}

export class TraceService extends Emitter<TraceServiceEvents> {
  private last: TraceStatus | null = null;

  constructor(
    private readonly engine: EngineHost,
    private readonly options: TraceServiceOptions,
  ) {
    super();
    engine.onEngine('trace:status', (status) => {
      this.last = status;
      this.emit('onTraceStatus', status);
      if (status.note) this.emit('onNotice', { level: status.stopReason === 'failed' ? 'error' : 'info', message: `Trace recording stopped: ${status.note}` });
    });
  }

  private publish(status: TraceStatus): TraceStatus {
    this.last = status;
    this.emit('onTraceStatus', status);
    return status;
  }

  readonly handlers: AppHandlers<'trace:start' | 'trace:stop' | 'trace:status' | 'trace:reveal'> = {
    'trace:start': async () => {
      const folder = path.join(this.options.dataDir ?? os.tmpdir(), 'traces');
      const file = path.join(folder, traceFileName(new Date()));
      return this.publish(await this.engine.call('trace:start', { path: file, maxBytes: this.options.maxBytes ?? DEFAULT_TRACE_MAX_BYTES }));
    },
    'trace:stop': async () => this.publish(await this.engine.call('trace:stop', {})),
    'trace:status': async () => {
      // A restarted engine has forgotten the recording: ask it, and keep the last file's path.
      const status = await this.engine.call('trace:status', {});
      return status.path === null && this.last ? { ...this.last, recording: false } : status;
    },
    'trace:reveal': async () => {
      const file = this.last?.path;
      if (!file || this.last?.recording) throw new MaiError('bad-request', 'There is no trace file yet: stop a recording first.');
      if (!this.options.revealFile) throw new MaiError('bad-request', `This window cannot open folders; the trace is at ${file}.`);
      this.options.revealFile(file);
      return { path: file };
    },
  };
}
