/**
 * The fake Hub in its own process, for measurements where the server must not share the client's
 * thread (bench/hub-bench.ts) or for running Mai by hand against it:
 *   node build/run-ts.mjs tests/helpers/fake-hub-cli.ts '<repos as JSON>'
 * where the JSON is a FakeRepoOptions[] whose file contents are paths on disk. Prints one JSON line
 * `{ endpoint, cdn, heads: { <repo>: <commit> } }` once listening; stops on SIGTERM or SIGINT.
 */
import { FakeHub, type FakeRepoOptions } from './fake-hub';

const repos = JSON.parse(process.argv[2] ?? '[]') as FakeRepoOptions[];
const hub = await FakeHub.start(repos);
console.log(JSON.stringify({ endpoint: hub.endpoint, cdn: hub.cdnOrigin, heads: Object.fromEntries(repos.map((r) => [r.id, hub.head(r.id)])) }));
const stop = () => void hub.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
