/**
 * Which models folder Mai uses, decided once at start (no Electron import: the web host uses it
 * too): the command line's `--models-dir`, else `MAI_MODELS_DIR`, else the folder saved in the
 * settings (`modelsDir`), else `models` in the user data folder. A changed setting therefore
 * applies at the next start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultModelsDir } from './paths';

/** Only the one field is read; the settings store validates the rest when it loads the file. */
const savedFolderSchema = z.object({ modelsDir: z.string().trim().min(1).max(4096).nullable().optional() });

/**
 * The `modelsDir` saved in `settingsFile`, as an absolute path; null when the file is missing,
 * unreadable, damaged or has none (the settings store reports a damaged file itself).
 */
export function savedModelsDir(settingsFile: string): string | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(settingsFile, 'utf8'));
  } catch {
    return null;
  }
  const parsed = savedFolderSchema.safeParse(raw);
  if (!parsed.success || !parsed.data.modelsDir) return null;
  // Relative to the settings' folder, never to whatever working directory Mai started in.
  return path.resolve(path.dirname(settingsFile), parsed.data.modelsDir);
}

export interface ModelsFolderInput {
  /** The user data folder (settings.json lives there). */
  userDataDir: string;
  /** `--models-dir` from the command line, if given. */
  cliDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Default `<userDataDir>/settings.json`. */
  settingsFile?: string;
}

/** The models folder for this run, by the precedence above; absolute. */
export function resolveModelsDir(input: ModelsFolderInput): string {
  const env = input.env ?? process.env;
  if (input.cliDir) return path.resolve(input.cliDir);
  if (env.MAI_MODELS_DIR) return defaultModelsDir(input.userDataDir, env);
  return savedModelsDir(input.settingsFile ?? path.join(input.userDataDir, 'settings.json')) ?? defaultModelsDir(input.userDataDir, env);
}
