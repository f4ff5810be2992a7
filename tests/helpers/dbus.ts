/**
 * A private D-Bus session bus for tests (the real dbus-daemon) and a client that owns a name on it,
 * speaking the D-Bus wire protocol directly (dbus-specification: SASL EXTERNAL authentication, then
 * little-endian METHOD_CALL messages `Hello` and `RequestName`), because no tool on these machines
 * owns a name from the command line. The name stays owned while the connection is open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './app';

export interface SessionBus {
  address: string;
  stop(): void;
}

/** Starts `dbus-daemon --session` on a socket of its own; resolves with its address. */
export function startSessionBus(): Promise<SessionBus> {
  const socket = path.join(tempDir('mai-dbus-'), 'bus');
  const daemon: ChildProcess = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1', `--address=unix:path=${socket}`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    daemon.once('error', reject);
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    daemon.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n')[0];
      if (output.includes('\n') && line) resolve({ address: line.trim(), stop: () => void daemon.kill() });
    });
  });
}

class Writer {
  readonly bytes: number[] = [];
  align(n: number): void {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  byte(value: number): void {
    this.bytes.push(value);
  }
  u32(value: number, at?: number): void {
    if (at === undefined) this.align(4);
    const le = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
    if (at === undefined) this.bytes.push(...le);
    else this.bytes.splice(at, 4, ...le);
  }
  string(value: string): void {
    const utf8 = Buffer.from(value);
    this.u32(utf8.length);
    this.bytes.push(...utf8, 0);
  }
  signature(value: string): void {
    this.byte(value.length);
    this.bytes.push(...Buffer.from(value), 0);
  }
}

function methodCall(serial: number, member: string, body?: { signature: string; write: (w: Writer) => void }): Buffer {
  const w = new Writer();
  w.byte(0x6c); // 'l': little-endian
  w.byte(1); // METHOD_CALL
  w.byte(0);
  w.byte(1); // protocol version
  w.u32(0); // body length, patched below
  w.u32(serial);
  w.u32(0); // header fields' array length, patched below
  w.align(8);
  const fieldsStart = w.bytes.length;
  const fields: Array<[number, string, string]> = [
    [1, 'o', '/org/freedesktop/DBus'],
    [2, 's', 'org.freedesktop.DBus'],
    [3, 's', member],
    [6, 's', 'org.freedesktop.DBus'],
  ];
  if (body) fields.push([8, 'g', body.signature]);
  for (const [code, type, value] of fields) {
    w.align(8);
    w.byte(code);
    w.signature(type);
    if (type === 'g') w.signature(value);
    else w.string(value);
  }
  w.u32(w.bytes.length - fieldsStart, 12);
  w.align(8);
  const bodyStart = w.bytes.length;
  body?.write(w);
  w.u32(w.bytes.length - bodyStart, 4);
  return Buffer.from(w.bytes);
}

/** Connects to the bus at `address` (unix:path=…) and owns `name`; `release()` disconnects. */
export function ownBusName(address: string, name: string): Promise<{ release: () => void }> {
  const socketPath = /unix:path=([^,]+)/.exec(address)?.[1];
  if (!socketPath) throw new Error(`unsupported bus address ${address}`);
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('error', reject);
    let authed = false;
    socket.on('connect', () => {
      socket.write(Buffer.from([0]));
      socket.write(`AUTH EXTERNAL ${Buffer.from(String(process.getuid?.() ?? 0)).toString('hex')}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (authed) return;
      if (!chunk.toString('latin1').startsWith('OK ')) return reject(new Error(`D-Bus authentication refused: ${chunk.toString('latin1').trim()}`));
      authed = true;
      socket.write('BEGIN\r\n');
      socket.write(methodCall(1, 'Hello'));
      socket.write(
        methodCall(2, 'RequestName', {
          signature: 'su',
          write: (w) => {
            w.string(name);
            w.u32(0);
          },
        }),
      );
      resolve({ release: () => socket.destroy() });
    });
  });
}
