/** writevFully: the downloader's gathered write, on a real file (and one that takes a few bytes at a time). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writevFully } from '../../../electron/main/core/downloads/support';

const chunks = () => [Buffer.from('Hello, '), new Uint8Array(0), Buffer.from('wörld'), Buffer.alloc(70_000, 7), Buffer.from('!')];
const expected = Buffer.concat(chunks());

describe('writevFully', () => {
  it('appends every chunk in order, empty ones included', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mai-writev-')), 'f');
    const fh = await open(file, 'a');
    await writevFully(fh, [Buffer.from('>')]);
    await writevFully(fh, chunks());
    await fh.close();
    expect(readFileSync(file)).toEqual(Buffer.concat([Buffer.from('>'), expected]));
  });

  it('continues after short writes (a file system may take fewer bytes than asked)', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mai-writev-')), 'f');
    const fh = await open(file, 'a');
    let calls = 0;
    // The real file, but each gathered write stops after at most 5,000 bytes (mid-chunk).
    const short = {
      writev: async (buffers: Uint8Array[]) => {
        calls++;
        let room = 5_000;
        const part: Uint8Array[] = [];
        for (const b of buffers) {
          if (room === 0) break;
          part.push(b.subarray(0, Math.min(room, b.byteLength)));
          room -= Math.min(room, b.byteLength);
        }
        return fh.writev(part);
      },
    } as unknown as FileHandle;
    await writevFully(short, chunks());
    await fh.close();
    expect(readFileSync(file)).toEqual(expected);
    expect(calls).toBe(Math.ceil(expected.byteLength / 5_000));
  });
});
