/** The GGUF files in the models folder, and the demo models Mai creates on a first start. */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelEntry } from '../../../shared/domain';
// The generator lives with the test fixtures (one deterministic source for tests and first start).
import { writeSyntheticModels } from '../../../tests/fixtures/synthetic-models';

const DEMO_PREFIX = 'mai-demo-';

export class ModelLibrary {
  constructor(readonly dir: string) {}

  /** The GGUF files in the folder, smallest first; an unreadable folder lists nothing. */
  async list(): Promise<ModelEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: ModelEntry[] = [];
    for (const fileName of names) {
      if (!fileName.toLowerCase().endsWith('.gguf')) continue;
      const filePath = path.join(this.dir, fileName);
      const info = await stat(filePath).catch(() => null);
      if (!info?.isFile()) continue;
      entries.push({ path: filePath, fileName, sizeBytes: info.size, synthetic: fileName.startsWith(DEMO_PREFIX) });
    }
    return entries.sort((a, b) => a.sizeBytes - b.sizeBytes || a.fileName.localeCompare(b.fileName));
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
