/**
 * A stand-in Electron release on 127.0.0.1, for testing `npm start` without GitHub.
 *
 * Fake on purpose: Electron's real runtime cannot be downloaded on the build machines. It follows
 * the layout @electron/get documents and reads: `<ELECTRON_MIRROR>v<version>/electron-v<version>-
 * <platform>-<arch>.zip` and, with `electron_use_remote_checksums`, `<ELECTRON_MIRROR>v<version>/
 * SHASUMS256.txt` (`<sha256> *<file name>` lines, as on Electron's release pages). The archive holds
 * what Electron's installer relies on: the executable at the path it writes to path.txt and a
 * `version` file. The executable is a shell script that writes its working folder, arguments and
 * environment to $MAI_STANDIN_RECORD and exits with $MAI_STANDIN_EXIT (default 0).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix permission bits (e.g. 0o755), stored so the extractor can restore them. */
  mode: number;
}

/** A stored (uncompressed) zip archive, written by hand: the format is small and no zip tool is needed. */
export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const crc = zlib.crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time and date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: the external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(0, 30); // extra and comment lengths
    central.writeUInt32LE(0, 34); // disk and internal attributes
    central.writeUInt32LE(((0o100000 | entry.mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

const RECORDER = `#!/bin/sh
{
  echo "cwd=$(pwd)"
  for argument in "$@"; do echo "arg=$argument"; done
  env | sed 's/^/env=/'
} > "$MAI_STANDIN_RECORD"
exit "\${MAI_STANDIN_EXIT:-0}"
`;

/** The executable's path inside the archive, as Electron's installer expects it per platform. */
export function executablePathInArchive(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
}

/** The stand-in runtime archive for `version` (without a leading v) on this platform. */
export function standInElectronArchive(version: string, platform: NodeJS.Platform = process.platform): Buffer {
  return makeZip([
    { name: executablePathInArchive(platform), data: Buffer.from(RECORDER), mode: 0o755 },
    { name: 'version', data: Buffer.from(version), mode: 0o644 },
  ]);
}

/** What the stand-in executable recorded: its working folder, arguments and environment. */
export interface StandInRecord {
  cwd: string;
  args: string[];
  env: Map<string, string>;
}

/** Parses the file the stand-in executable wrote. */
export function parseStandInRecord(text: string): StandInRecord {
  const record: StandInRecord = { cwd: '', args: [], env: new Map() };
  for (const line of text.split('\n')) {
    if (line.startsWith('cwd=')) record.cwd = line.slice(4);
    else if (line.startsWith('arg=')) record.args.push(line.slice(4));
    else if (line.startsWith('env=')) {
      const pair = line.slice(4);
      const equals = pair.indexOf('=');
      if (equals > 0) record.env.set(pair.slice(0, equals), pair.slice(equals + 1));
    }
  }
  return record;
}

/** A mirror of Electron's release downloads serving one version, with a log of what was asked. */
export class StandInElectronMirror {
  readonly requests: string[] = [];
  private server: http.Server | null = null;
  private files = new Map<string, Buffer>();

  /**
   * @param version Electron's version without the leading v.
   * @param options.wrongChecksum serve a SHASUMS256.txt whose hash does not match the archive.
   */
  constructor(
    readonly version: string,
    options: { wrongChecksum?: boolean } = {},
  ) {
    const fileName = `electron-v${version}-${process.platform}-${process.arch}.zip`;
    const archive = standInElectronArchive(version);
    const hash = options.wrongChecksum ? createHash('sha256').update('not the archive').digest('hex') : createHash('sha256').update(archive).digest('hex');
    this.files.set(`/v${version}/${fileName}`, archive);
    this.files.set(`/v${version}/SHASUMS256.txt`, Buffer.from(`${hash} *${fileName}\n`));
  }

  /** Starts listening on 127.0.0.1 and returns the base URL to give as ELECTRON_MIRROR. */
  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      const url = request.url ?? '/';
      this.requests.push(url);
      const body = this.files.get(url);
      if (!body) {
        response.writeHead(404).end('not found');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** The archive requests seen so far (SHASUMS256.txt excluded). */
  archiveRequests(): string[] {
    return this.requests.filter((url) => url.endsWith('.zip'));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A stand-in for an unpacked Linux Electron (electron-builder's `electronDist`): an `electron`
 * executable carrying a fuse wire with Electron's defaults after @electron/fuses' sentinel (the
 * wire format @electron/fuses reads and flips: sentinel, wire version 1, length, one byte per fuse),
 * so electron-builder can package it and flip its fuses, and a `version` file.
 */
export function standInElectronDistFiles(version: string): ZipEntry[] {
  const sentinel = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX');
  const on = 0x31;
  const off = 0x30;
  // RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect, AsarIntegrity, OnlyLoadAppFromAsar, V8Snapshot, FileProtocolPrivileges
  const defaults = [on, off, on, on, off, off, off, on];
  const executable = Buffer.concat([
    Buffer.from(RECORDER),
    Buffer.alloc(4096, 7),
    sentinel,
    Buffer.from([1, defaults.length, ...defaults]),
    Buffer.alloc(4096, 7),
  ]);
  return [
    { name: 'electron', data: executable, mode: 0o755 },
    { name: 'version', data: Buffer.from(version), mode: 0o644 },
  ];
}
