/** Turns the download manager's records and progress into what the models page shows. */
import type { DownloadData } from '../../../../shared/catalog';
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

/** Forwards every state change and progress tick; `onLanded` when a verified file is in place. */
export function bridgeDownloads(manager: DownloadManager, publish: (data: DownloadData) => void, onLanded: () => void): () => void {
  const offState = manager.on('state', (info) => {
    publish(toDownloadData(info));
    if (info.state === 'done') onLanded();
  });
  const offProgress = manager.on('progress', (progress) => {
    const info = manager.get(progress.id);
    if (info) publish(toDownloadData({ ...info, receivedBytes: progress.receivedBytes, totalBytes: progress.totalBytes }, progress));
  });
  return () => {
    offState();
    offProgress();
  };
}
