/**
 * What the models page does to files: import a GGUF from elsewhere (validated by the engine first),
 * delete one from Mai's folder or forget an imported one, ask the host's file dialog, and keep the
 * window's list and the scaler's ladder in step with the files there are.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppEvents, AppHandlers } from '../../../../shared/contract';
import type { ModelEntry } from '../../../../shared/domain';
import { Emitter } from '../../../../shared/emitter';
import { MaiError } from '../../../../shared/errors';
import { removeProvenance, splitPart, splitPartName } from '../hub';
import type { ModelLibrary } from '../model-library';

export interface ModelFilesDeps {
  modelsDir: string;
  library: ModelLibrary;
  /** The engine's GGUF check (header bounded by the file's real size); throws 'model-invalid' with the reason. */
  inspect: (filePath: string) => Promise<{ sizeBytes: number; synthetic: boolean }>;
  /** The model loaded now, or null. */
  currentPath: () => string | null;
  importedPaths: () => readonly string[];
  /** Saves the list of imported files; null where settings are not saved (imports are refused). */
  saveImportedPaths: ((paths: string[]) => Promise<void>) | null;
  /** Rebuilds the scaler's ladder from the library (keeps the model in use loaded). */
  rebuildLadder: () => Promise<void>;
  /** A reply is being generated: the ladder is rebuilt after it, not under it. */
  replying: () => boolean;
  /** The host's file dialog (Electron); absent in the browser. */
  pickModelFile?: () => Promise<string | null>;
  log: (message: string) => void;
}

const isGguf = (filePath: string) => filePath.toLowerCase().endsWith('.gguf');

export class ModelFiles extends Emitter<Pick<AppEvents, 'onModels'>> {
  /** The paths the ladder was last built from; null until the first list after start. */
  private ladderPaths: string | null = null;
  private ladderStale = false;
  /** The ladder rebuild under way, if any. */
  private rebuilding: Promise<void> | null = null;

  constructor(private readonly deps: ModelFilesDeps) {
    super();
  }

  readonly handlers: AppHandlers<'models:import' | 'models:remove' | 'models:open-dialog'> = {
    'models:import': ({ path: filePath }) => this.import(filePath),
    'models:remove': ({ path: filePath }) => this.remove(filePath),
    'models:open-dialog': () => this.pick(),
  };

  /**
   * The set of files changed (the folder watcher, a download that landed, an import, a delete):
   * publish the list, and rebuild the ladder when the set of paths differs from the one it was
   * built from — after the reply in progress, if there is one.
   */
  async changed(): Promise<ModelEntry[]> {
    const models = await this.deps.library.list();
    this.emit('onModels', models);
    const paths = models
      .map((m) => m.path)
      .sort()
      .join('\n');
    if (this.ladderPaths !== null && paths !== this.ladderPaths) this.ladderStale = true;
    this.ladderPaths = paths;
    await this.rebuildIfStale();
    return models;
  }

  /** Remembers the files the ladder was built from at start (no rebuild). */
  async started(): Promise<void> {
    this.ladderPaths = (await this.deps.library.list())
      .map((m) => m.path)
      .sort()
      .join('\n');
  }

  /** The engine is idle again: a rebuild put off during a reply happens now. */
  async idle(): Promise<void> {
    await this.rebuildIfStale();
  }

  /**
   * Rebuilds when the files changed, and in any case waits for a rebuild already under way: the
   * folder watcher may have seen a delete first and started it, and `models:remove` must not answer
   * before the ladder has lost the file.
   */
  private async rebuildIfStale(): Promise<void> {
    if (this.ladderStale && !this.deps.replying() && this.deps.currentPath() !== null) {
      this.ladderStale = false;
      const run: Promise<void> = this.deps
        .rebuildLadder()
        .catch((error: Error) => {
          this.ladderStale = true;
          this.deps.log(`the ladder could not be rebuilt: ${error.message}`);
        })
        .finally(() => {
          if (this.rebuilding === run) this.rebuilding = null;
        });
      this.rebuilding = run;
    }
    await this.rebuilding;
  }

  /** Validates a GGUF file in the engine, then lists it (it stays where it is). */
  async import(filePath: string): Promise<ModelEntry> {
    const resolved = path.resolve(filePath);
    if (!isGguf(resolved)) throw new MaiError('model-invalid', `${path.basename(resolved)} is not a .gguf file; Mai only opens GGUF models.`);
    const inspected = await this.deps.inspect(resolved);
    const inFolder = path.dirname(resolved) === path.resolve(this.deps.modelsDir);
    if (!inFolder) {
      if (!this.deps.saveImportedPaths) throw new MaiError('bad-request', 'Imported models are not remembered in this mode.');
      const known = this.deps.importedPaths();
      if (!known.includes(resolved)) await this.deps.saveImportedPaths([...known, resolved]);
    }
    await this.changed();
    return {
      path: resolved,
      fileName: path.basename(resolved),
      sizeBytes: inspected.sizeBytes,
      synthetic: inspected.synthetic,
      source: inFolder ? 'folder' : 'imported',
    };
  }

  /**
   * Deletes a .gguf file in Mai's own folder, or forgets an imported one without touching its file.
   * The model in use is refused rather than unloaded: unloading would leave the chat without a
   * model (or let the scaler pick one the user did not choose), so the user switches first.
   */
  async remove(filePath: string): Promise<{ removed: boolean; message: string }> {
    const resolved = path.resolve(filePath);
    const name = path.basename(resolved);
    if (!isGguf(resolved)) throw new MaiError('bad-request', `${name} is not a .gguf file; Mai only deletes model files.`);
    if (this.deps.currentPath() === resolved) throw new MaiError('busy', `${name} is in use; switch to another model first, then delete it.`);
    const known = this.deps.importedPaths();
    if (known.includes(resolved) && this.deps.saveImportedPaths) {
      await this.deps.saveImportedPaths(known.filter((p) => p !== resolved));
      await this.changed();
      return { removed: true, message: `Mai forgot ${name}; its file was left where it is.` };
    }
    if (path.dirname(resolved) !== path.resolve(this.deps.modelsDir)) {
      return { removed: false, message: `${name} is not in Mai’s models folder, so Mai does not delete it; remove it with the app that put it there.` };
    }
    try {
      await rm(resolved);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new MaiError('model-not-found', `${name} is no longer in the models folder.`);
      throw new MaiError('bad-request', `${name} could not be deleted (${code ?? (error as Error).message}).`);
    }
    // A split model is one model: its other parts and its provenance go with its first part.
    const part = splitPart(name);
    if (part?.index === 1) {
      for (let k = 2; k <= part.count; k++) {
        await rm(path.join(path.dirname(resolved), splitPartName(part.prefix, k, part.count)), { force: true }).catch(() => undefined);
      }
    }
    await removeProvenance(this.deps.modelsDir, name);
    await this.changed();
    return { removed: true, message: `${name} was deleted.` };
  }

  /** The host's file dialog; refused where there is none. */
  async pick(): Promise<{ path: string | null }> {
    if (!this.deps.pickModelFile)
      throw new MaiError('bad-request', "There is no file dialog in the browser: type the file's path into the import field instead.");
    return { path: await this.deps.pickModelFile() };
  }
}
