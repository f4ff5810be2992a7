/**
 * `npm run start:web`: Mai in a browser. Options: --port N, --models-dir DIR, --user-data DIR,
 * --model FILE, --max-tokens N. Prints the address (with its token) on one line.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppCore } from '../core/app-core';
import { NodeEngineLauncher } from '../core/engine-launcher';
import { defaultUserDataDir } from '../core/paths';
import { resolveModelsDir } from '../core/models-folder';
import { startWebHost } from './server';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'models-dir': { type: 'string' },
      'user-data': { type: 'string' },
      model: { type: 'string' },
      'max-tokens': { type: 'string' },
    },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not "${values.port}".`);
  const maxTokens = values['max-tokens'] === undefined ? undefined : Number(values['max-tokens']);
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) throw new Error('--max-tokens must be a positive whole number.');
  const userData = values['user-data'] ? path.resolve(values['user-data']) : defaultUserDataDir();
  // --models-dir, else MAI_MODELS_DIR, else the folder saved in the settings (applies at the next start).
  const modelsDir = resolveModelsDir({ userDataDir: userData, cliDir: values['models-dir'] });
  mkdirSync(userData, { recursive: true });

  const core = new AppCore({
    mode: 'web',
    launcher: new NodeEngineLauncher(path.join(here, '../engine/index.js')),
    modelsDir,
    dataDir: userData,
    conversationsDir: path.join(userData, 'conversations'),
    settingsFile: path.join(userData, 'settings.json'),
    ...(values.model ? { initialModelPath: path.resolve(values.model) } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
  });
  // Settings and conversations are read before the first window can ask for them.
  await core.prepare();
  const host = await startWebHost({ core, rendererDir: path.join(here, '../renderer'), port, log: (m) => console.warn(`[mai] ${m}`) });
  console.log(`Mai is running at ${host.url}`);
  console.log(`Models folder: ${modelsDir}`);
  // Where downloads come from, and where a token would come from: never the token itself.
  const token = core.hub.tokenStatus().source;
  console.log(
    `Hugging Face Hub: ${core.hubStack.endpoint}${token === 'environment' ? ' (token from HF_TOKEN)' : token === 'settings' ? ' (token from Settings)' : ''}`,
  );
  const shutdown = async () => {
    await host.close();
    await core.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  await core.start();
}

main().catch((error: Error) => {
  console.error(`Mai could not start: ${error.message}`);
  process.exit(1);
});
