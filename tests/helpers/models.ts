/** The synthetic models every inference test uses, written once into tests/.tmp/models. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticModels } from '../fixtures/synthetic-models';

export const testsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.dirname(testsDir);
export const testModelsDir = path.join(testsDir, '.tmp', 'models');
export const engineEntry = path.join(repoDir, 'dist', 'engine', 'index.js');

export interface TestModels {
  tiny: string;
  small: string;
  medium: string;
}

export async function ensureTestModels(): Promise<TestModels> {
  const [tiny, small, medium] = await writeSyntheticModels(testModelsDir);
  if (!tiny || !small || !medium) throw new Error('expected three synthetic models');
  return { tiny, small, medium };
}
