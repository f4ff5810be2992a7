import os from 'node:os';
import path from 'node:path';

/**
 * Where Mai keeps its data when Electron's app.getPath('userData') is not available (web host,
 * CLI scripts). Matches Electron's choice for an app named "Mai" on each platform.
 */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MAI_USER_DATA) return path.resolve(env.MAI_USER_DATA);
  const home = os.homedir();
  switch (platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Mai');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Mai');
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Mai');
  }
}

/** The models folder: $MAI_MODELS_DIR, else `models` in the user data folder. */
export function defaultModelsDir(userDataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.MAI_MODELS_DIR ? path.resolve(env.MAI_MODELS_DIR) : path.join(userDataDir, 'models');
}
