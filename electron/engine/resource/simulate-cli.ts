/**
 * Entry of `npm run simulate` (the command itself is simulate-main.ts). It imports only Node
 * built-ins and loads the command through importBundled: see bundled-import.ts for why.
 */
import path from 'node:path';
import { importBundled } from './bundled-import';
import type * as SimulateMain from './simulate-main';

// run-ts.mjs sets argv[1] to the real path of this entry.
const here = path.dirname(path.resolve(process.argv[1] ?? 'electron/engine/resource/simulate-cli.ts'));
const { module: command, dispose } = await importBundled<typeof SimulateMain>(path.join(here, 'simulate-main.ts'));
try {
  process.exitCode = await command.main(process.argv.slice(2));
} finally {
  dispose();
}
