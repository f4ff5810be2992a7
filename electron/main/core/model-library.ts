/**
 * The GGUF files Mai can offer: its models folder (scanned at start and watched), files the user
 * opened from elsewhere, and the folders of LM Studio and Jan when they exist. Also writes the demo
 * models on a first start with no model at all.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ModelEntry } from '../../../shared/domain';
import { splitPart, splitPartName } from './hub/gguf-files';
import { readProvenance } from './hub/provenance';
// The generator lives with the test fixtures (one deterministic source for tests and first start).
import { writeSyntheticModels } from '../../../tests/fixtures/synthetic-models';

const DEMO_PREFIX = 'mai-demo-';
/** Depth to which other apps' folders are searched (they nest publisher/model/file). */
const OTHER_APP_DEPTH = 4;

/** LM Studio's and Jan's model folders on this platform (those that exist are scanned). */
export function otherAppFolders(home = os.homedir()): Array<{ source: 'lmstudio' | 'jan'; dir: string }> {
  return [
    { source: 'lmstudio', dir: path.join(home, '.lmstudio', 'models') },
    { source: 'lmstudio', dir: path.join(home, '.cache', 'lm-studio', 'models') },
    { source: 'jan', dir: path.join(home, 'jan', 'models') },
    { source: 'jan', dir: path.join(home, '.local', 'share', 'Jan', 'data', 'llamacpp', 'models') },
    { source: 'jan', dir: path.join(home, 'Library', 'Application Support', 'Jan', 'data', 'llamacpp', 'models') },
  ];
}

async function findGguf(dir: string, depth: number, found: string[] = []): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // .partial downloads, hidden folders
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.gguf')) found.push(full);
    else if (entry.isDirectory() && depth > 0) await findGguf(full, depth - 1, found);
  }
  return found;
}

/** The file name of part `index` of a split model. */
export interface LibraryOptions {
  /** Files the user opened from elsewhere. */
  importedPaths?: () => readonly string[];
  /** Last use per path, ms. */
  lastUsed?: () => Readonly<Record<string, number>>;
  /** Search LM Studio's and Jan's folders. Default true. */
  otherApps?: boolean;
  home?: string;
}

export class ModelLibrary {
  private watcher: FSWatcher | null = null;

  constructor(
    readonly dir: string,
    private readonly options: LibraryOptions = {},
  ) {}

  /** Every model Mai can offer, smallest first; unreadable folders list nothing. */
  async list(): Promise<ModelEntry[]> {
    const lastUsed = this.options.lastUsed?.() ?? {};
    const seen = new Set<string>();
    const entries: ModelEntry[] = [];
    const add = async (filePath: string, source: ModelEntry['source']) => {
      if (seen.has(filePath)) return;
      seen.add(filePath);
      const info = await stat(filePath).catch(() => null);
      if (!info?.isFile()) return;
      const fileName = path.basename(filePath);
      entries.push({
        path: filePath,
        fileName,
        sizeBytes: info.size,
        synthetic: source === 'folder' && fileName.startsWith(DEMO_PREFIX),
        source,
        ...(lastUsed[filePath] ? { lastUsedAt: lastUsed[filePath] } : {}),
      });
    };
    const folderFiles = await findGguf(this.dir, 0);
    const names = new Set(folderFiles.map((f) => path.basename(f)));
    for (const file of folderFiles) {
      // A split model (name-0000k-of-0000n.gguf) is one model: listed once, by its first part.
      const part = splitPart(path.basename(file));
      if (part && part.index > 1 && names.has(splitPartName(part.prefix, 1, part.count))) continue;
      await add(file, 'folder');
      const entry = entries.at(-1);
      if (!entry || entry.path !== file) continue;
      if (part?.index === 1) {
        for (let k = 2; k <= part.count; k++)
          entry.sizeBytes += (await stat(path.join(this.dir, splitPartName(part.prefix, k, part.count))).catch(() => null))?.size ?? 0;
      }
      const provenance = await readProvenance(this.dir, entry.fileName);
      if (provenance) entry.provenance = provenance;
    }
    for (const file of this.options.importedPaths?.() ?? []) await add(file, 'imported');
    if (this.options.otherApps !== false) {
      for (const { source, dir } of otherAppFolders(this.options.home)) {
        for (const file of await findGguf(dir, OTHER_APP_DEPTH)) await add(file, source);
      }
    }
    return entries.sort((a, b) => a.sizeBytes - b.sizeBytes || a.fileName.localeCompare(b.fileName));
  }

  /** Calls `onChange` (debounced) when files appear in or leave the models folder. */
  watch(onChange: () => void): void {
    if (this.watcher) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    try {
      this.watcher = watch(this.dir, () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(onChange, 300);
      });
      this.watcher.on('error', () => this.unwatch());
    } catch {
      // A folder that cannot be watched is still scanned at start and on request.
    }
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /**
   * On a first start with no model at all, writes the demo models so Mai works offline at once.
   * Returns the paths it wrote (none when a model was already there).
   */
  async ensureDemoModels(): Promise<string[]> {
    if ((await this.list()).length > 0) return [];
    await mkdir(this.dir, { recursive: true });
    return writeSyntheticModels(this.dir);
  }

  /** The model to start with: the smallest real model, else the smallest demo model. */
  static pickDefault(models: readonly ModelEntry[]): ModelEntry | undefined {
    return models.find((m) => !m.synthetic) ?? models[0];
  }
}
