/**
 * Which URL the window loads the renderer from, and the check that a frame shows that page (IPC
 * trust in ipc.ts, navigation in window.ts). No Electron import, so tests can load it.
 *
 * Electron's `loadFile` builds its URL with Node's legacy `url.format`, which leaves `%`, spaces,
 * `[`, `]`, `^` and `|` as they are; Chromium then reads a `%` as the start of an escape, so the
 * URL the frame reports can neither be rebuilt with `pathToFileURL` nor decoded back to the
 * install path (docs/security.md, "IPC and WebSocket messages"). Mai loads the page with
 * `loadURL(pathToFileURL(index))` instead, and compares file *paths*: the frame's URL decoded with
 * `fileURLToPath` against the index file, which holds whatever escapes Chromium normalised.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface RendererPage {
  /** What `webContents.loadURL` is given. */
  readonly url: string;
  /** Whether a frame's URL is this page (query and fragment ignored). */
  isTrustedUrl(url: string): boolean;
}

function samePath(a: string, b: string): boolean {
  const [x, y] = [path.resolve(a), path.resolve(b)];
  // Windows and macOS volumes are usually case-insensitive; Chromium may also change a drive letter's case.
  return process.platform === 'win32' ? x.toLowerCase() === y.toLowerCase() : x === y;
}

/** The renderer page at `indexPath` (an absolute file path). */
export function rendererPage(indexPath: string): RendererPage {
  const url = pathToFileURL(indexPath).href;
  // Empty, except for a Windows install on a network share (\\server\share\… → file://server/share/…).
  const ownHost = new URL(url).host.toLowerCase();
  return {
    url,
    isTrustedUrl(candidate) {
      let parsed: URL;
      try {
        parsed = new URL(candidate);
      } catch {
        return false;
      }
      // A file URL with a host is a network share (file://server/…): trusted only when Mai itself is
      // installed on that share (a UNC path on Windows), and then only for its own page below.
      if (parsed.protocol !== 'file:' || parsed.host.toLowerCase() !== ownHost) return false;
      parsed.search = '';
      parsed.hash = '';
      try {
        // Refuses escaped separators (%2F) and malformed escapes.
        return samePath(fileURLToPath(parsed), indexPath);
      } catch {
        return false;
      }
    },
  };
}
