// Pins every catalog entry to a commit and the file's SHA-256, read from the Hugging Face Hub API.
// Run where huggingface.co is reachable: `node build/pin-catalog.mjs` — it rewrites
// electron/main/core/catalog/catalog-pins.json ({ id: { revision, sha256, sizeBytes } }), which the
// catalog merges over its entries. Review the diff before committing it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = readFileSync(path.join(root, 'electron/main/core/catalog/catalog-data.ts'), 'utf8');
const entries = [...source.matchAll(/id: '([^']+)', name: '[^']+', repo: '([^']+)', file: '([^']+)'/g)].map(([, id, repo, file]) => ({ id, repo, file }));
const pins = {};
for (const { id, repo, file } of entries) {
  const info = await (await fetch(`https://huggingface.co/api/models/${repo}/revision/main`)).json();
  const revision = info.sha;
  const tree = await (await fetch(`https://huggingface.co/api/models/${repo}/tree/${revision}`)).json();
  const item = tree.find((t) => t.path === file);
  if (!revision || !item?.lfs?.oid) {
    console.error(`${id}: could not pin (${repo}/${file} not found at ${revision})`);
    continue;
  }
  pins[id] = { revision, sha256: item.lfs.oid, sizeBytes: item.lfs.size ?? item.size };
  console.log(`${id}: ${revision.slice(0, 12)} ${item.lfs.oid.slice(0, 12)} ${pins[id].sizeBytes} bytes`);
}
writeFileSync(path.join(root, 'electron/main/core/catalog/catalog-pins.json'), `${JSON.stringify(pins, null, 2)}\n`);
