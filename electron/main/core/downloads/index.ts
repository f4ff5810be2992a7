/** Model downloads for the main process (no Electron imports: the web host uses it too). */
export { DownloadManager, type RestoreSummary } from './download-manager';
export { isSafeFileName, parseContentRange } from './support';
export { DownloadFailure, formatGigabytes } from './errors';
export { DEFAULT_HUGGING_FACE_BASE_URL, huggingFaceResolveUrl, parseHuggingFaceUri, resolveModelUrl, type HuggingFaceFileRef } from './hf-uri';
export { SpeedMeter, secondsLeft } from './speed';
export type {
  DownloadError,
  DownloadErrorCode,
  DownloadEvents,
  DownloadInfo,
  DownloadManagerOptions,
  DownloadProgress,
  DownloadState,
  EnqueueRequest,
  StatFsLike,
} from './types';
