/** "on <host>" marking: the host is found only where a known server is named, and nothing else changes. */
import { describe, expect, it } from 'vitest';
import { remoteHostOfPath, splitHosts } from '../../../renderer/lib/remote';

describe('remote names in the window', () => {
  it('reads the host of a remote rung’s path, none of a local file', () => {
    expect(remoteHostOfPath('remote:192.168.1.20:8080#qwen2.5-7b')).toBe('192.168.1.20:8080');
    expect(remoteHostOfPath('/models/remote:x#y.gguf')).toBeNull();
    expect(remoteHostOfPath(undefined)).toBeNull();
  });

  it('marks a known host after "on ", and only a whole host', () => {
    const hosts = ['127.0.0.1:8080', '127.0.0.1:80'];
    expect(splitHosts('big on 127.0.0.1:8080 · 12 tokens', hosts)).toEqual([
      { text: 'big on ', host: false },
      { text: '127.0.0.1:8080', host: true },
      { text: ' · 12 tokens', host: false },
    ]);
    expect(splitHosts('Switched from big on 127.0.0.1:80 to Demo 30 MB: the server at 127.0.0.1:80 failed.', hosts).filter((p) => p.host)).toEqual([
      { text: '127.0.0.1:80', host: true },
    ]);
    // A longer address that merely starts with a known one is not that host.
    expect(splitHosts('x on 127.0.0.1:80801', hosts)).toEqual([{ text: 'x on 127.0.0.1:80801', host: false }]);
    expect(splitHosts('Demo 30 MB', hosts)).toEqual([{ text: 'Demo 30 MB', host: false }]);
  });

  it('returns a server’s model id as the text it is, markup included (React renders it as text)', () => {
    const id = '<img src=x onerror=alert(1)> on 10.0.0.2:8080';
    const parts = splitHosts(id, ['10.0.0.2:8080']);
    expect(parts.map((p) => p.text).join('')).toBe(id);
    expect(parts[0]).toEqual({ text: '<img src=x onerror=alert(1)> on ', host: false });
  });
});
