/** writeFileAtomic, readJsonFile and quarantine against a real temp folder. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  deleteFileDurable,
  isTempFileName,
  quarantine,
  readJsonFile,
  removeStaleTempFiles,
  writeFileAtomic,
} from '../../../electron/main/core/store/atomic-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mai-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const schema = z.object({ n: z.number().int(), text: z.string() });

describe('writeFileAtomic', () => {
  it('round-trips data and leaves no temp files', async () => {
    const file = path.join(dir, 'a.json');
    await writeFileAtomic(file, JSON.stringify({ n: 1, text: 'héllo 👋' }));
    expect(await readJsonFile(file, schema)).toEqual({ ok: true, value: { n: 1, text: 'héllo 👋' } });
    await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify({ n: 2, text: '' })));
    expect(await readJsonFile(file, schema)).toEqual({ ok: true, value: { n: 2, text: '' } });
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('serialises concurrent writes to one path: the last value wins and the file always parses', async () => {
    const file = path.join(dir, 'c.json');
    const big = 'x'.repeat(50_000);
    let produced = 0;
    const writes = Array.from({ length: 200 }, (_, n) =>
      writeFileAtomic(file, () => {
        produced += 1;
        return JSON.stringify({ n, text: big });
      }),
    );
    // Reads in the middle of the storm must never see a partial file.
    const reads: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i += 1) {
      reads.push(new Promise((resolve) => setTimeout(resolve, i)).then(() => readJsonFile(file, schema)));
    }
    await Promise.all(writes);
    for (const read of await Promise.all(reads)) {
      const result = read as Awaited<ReturnType<typeof readJsonFile>>;
      if (!result.ok) expect(result.kind).toBe('missing');
    }
    const final = await readJsonFile(file, schema);
    expect(final.ok && final.value.n).toBe(199);
    // Coalescing: far fewer writes than calls (first runs, one pending absorbs the rest).
    expect(produced).toBeLessThan(200);
    expect(readdirSync(dir).filter(isTempFileName)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['c.json']);
  });

  it('keeps writes to different paths independent and orders a delete after a queued write', async () => {
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    await Promise.all([writeFileAtomic(a, '{"n":1,"text":"a"}'), writeFileAtomic(b, '{"n":2,"text":"b"}')]);
    const pending = writeFileAtomic(a, '{"n":3,"text":"a"}');
    await deleteFileDurable(a);
    await pending;
    expect(readdirSync(dir)).toEqual(['b.json']);
  });

  it('rejects when the folder does not exist and leaves nothing behind', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing', 'x.json'), '{}')).rejects.toThrow(/ENOENT/);
  });

  it('removes stale temp files but not data files', async () => {
    writeFileSync(path.join(dir, '.a.json.1f-2-deadbeef.tmp'), '{"n":');
    writeFileSync(path.join(dir, 'a.json'), '{}');
    expect(await removeStaleTempFiles(dir)).toEqual(['.a.json.1f-2-deadbeef.tmp']);
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});

describe('readJsonFile', () => {
  it('reports missing, empty, truncated and schema-invalid files without throwing', async () => {
    const file = path.join(dir, 'r.json');
    expect(await readJsonFile(file, schema)).toMatchObject({ ok: false, kind: 'missing' });
    writeFileSync(file, '');
    expect(await readJsonFile(file, schema)).toMatchObject({ ok: false, kind: 'syntax', reason: 'The file is empty.' });
    writeFileSync(file, '{"n": 1, "te');
    expect(await readJsonFile(file, schema)).toMatchObject({ ok: false, kind: 'syntax' });
    writeFileSync(file, '{"n": "one", "text": "t"}');
    const invalid = await readJsonFile(file, schema);
    expect(invalid).toMatchObject({ ok: false, kind: 'schema', raw: { n: 'one', text: 't' } });
    expect(!invalid.ok && invalid.reason).toMatch(/^The content is not valid: n: /);
  });
});

describe('quarantine', () => {
  it('moves the file aside with its bytes intact, records the reason, and never overwrites', async () => {
    const file = path.join(dir, 'q.json');
    const at = new Date('2025-01-02T03:04:05.678Z');
    writeFileSync(file, 'first');
    const first = await quarantine(file, 'broken', at);
    expect(path.basename(first)).toBe('q.json.corrupt-2025-01-02T03-04-05.678Z');
    writeFileSync(file, 'second');
    const second = await quarantine(file, 'broken again', at);
    expect(second).toBe(`${first}-1`);
    expect(readFileSync(first, 'utf8')).toBe('first');
    expect(readFileSync(second, 'utf8')).toBe('second');
    expect(readFileSync(`${second}.reason.txt`, 'utf8')).toBe('broken again\n');
    expect(readdirSync(dir)).not.toContain('q.json');
  });
});
