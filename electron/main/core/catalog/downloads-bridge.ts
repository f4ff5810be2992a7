/**
 * Downloads as the models page sees them: the download manager's records and progress turned into
 * `onDownload` events, and the `downloads:*` methods. Catalog and Hub downloads start elsewhere
 * (CatalogService, HubService); this serves the list, pause, resume and cancel.
 */
import type { DownloadData } from '../../../../shared/catalog';
import type { AppEvents, AppHandlers } from '../../../../shared/contract';
import { Emitter } from '../../../../shared/emitter';
import { MaiError } from '../../../../shared/errors';
import type { DownloadInfo, DownloadManager } from '../downloads';

export function toDownloadData(info: DownloadInfo, speed: { bytesPerSecond: number; secondsLeft: number | null } | null = null): DownloadData {
  return {
    id: info.id,
    fileName: info.fileName,
    url: info.url,
    state: info.state,
    receivedBytes: info.receivedBytes,
    totalBytes: info.totalBytes,
    bytesPerSecond: speed?.bytesPerSecond ?? null,
    secondsLeft: speed?.secondsLeft ?? null,
    error: info.error ? { code: info.error.code, message: info.error.message } : null,
  };
}

export type DownloadsServiceEvents = Pick<AppEvents, 'onDownload' | 'onNotice'> & {
  /** A download finished and its verified file is in the models folder. */
  didLand: DownloadData;
};

/** Serves `downloads:*` and emits every state change and progress tick (null manager: downloads refused). */
export class DownloadsService extends Emitter<DownloadsServiceEvents> {
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly manager: DownloadManager | null,
    private readonly start: (catalogId: string) => Promise<DownloadInfo>,
  ) {
    super();
    if (!manager) return;
    this.offs.push(
      manager.on('state', (info) => {
        const data = toDownloadData(info);
        this.emit('onDownload', data);
        if (info.state === 'done') this.emit('didLand', data);
      }),
      manager.on('progress', (progress) => {
        const info = manager.get(progress.id);
        if (info) this.emit('onDownload', toDownloadData({ ...info, receivedBytes: progress.receivedBytes, totalBytes: progress.totalBytes }, progress));
      }),
    );
  }

  readonly handlers: AppHandlers<`downloads:${'list' | 'start' | 'pause' | 'resume' | 'cancel'}`> = {
    'downloads:list': () => (this.manager?.list() ?? []).map((info) => toDownloadData(info)),
    'downloads:start': async ({ catalogId }) => toDownloadData(await this.start(catalogId)),
    'downloads:pause': async ({ id }) => toDownloadData(await this.required().pause(id)),
    'downloads:resume': async ({ id }) => toDownloadData(await this.required().resume(id)),
    'downloads:cancel': async ({ id }) => toDownloadData(await this.required().cancel(id)),
  };

  /** Brings back the unfinished downloads of the last run; a damaged list is set aside and said. */
  async restore(): Promise<void> {
    if (!this.manager) return;
    const restored = await this.manager.restore().catch((error: Error) => {
      this.emit('onNotice', { level: 'warn', message: `Unfinished downloads could not be restored: ${error.message}` });
      return null;
    });
    if (restored?.movedAsideTo) this.emit('onNotice', { level: 'warn', message: `The download list was damaged and was moved to ${restored.movedAsideTo}.` });
  }

  private required(): DownloadManager {
    if (!this.manager) throw new MaiError('bad-request', 'Downloads are not available in this mode.');
    return this.manager;
  }

  /** Stops listening to the manager. */
  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
