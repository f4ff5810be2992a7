/** Entry of `npm run simulate` (build/run-ts.mjs runs it); the command itself is simulate-main.ts. */
import { main } from './simulate-main';

process.exitCode = await main(process.argv.slice(2));
