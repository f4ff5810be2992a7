/**
 * A remote engine's address as main keeps it: one spelling per server (so a server is saved once),
 * the `host:port` the user is shown, the origin its API key belongs to, and the plain-http warning.
 */
import { MaiError } from '../../../../shared/errors';

/** The address of one server, normalised. */
export interface RemoteAddress {
  /** `http(s)://host:port[/prefix]` without a trailing slash or `/v1` (the engine appends the API paths). */
  baseUrl: string;
  /** `host:port`, how Mai names the server to the user. */
  host: string;
  /** `scheme://host:port`: the API key is kept per origin and sent to it only. */
  origin: string;
}

/**
 * Parses a base URL typed by the user. `http://h:8080/v1/` and `http://h:8080` are the same server
 * (servers document their address with and without `/v1`). Anything but http(s), or a URL with
 * credentials in it, is refused with a sentence.
 */
export function remoteAddress(raw: string): RemoteAddress {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new MaiError('bad-request', `"${raw.slice(0, 200)}" is not a web address. Type the server's address, e.g. http://192.168.1.20:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MaiError('bad-request', `${url.protocol} is not an address Mai can use for a server; use http:// or https://.`);
  // A user:password in the address would be sent with every request and kept in settings.json.
  if (url.username || url.password) throw new MaiError('bad-request', 'Put the API key in its own field, not in the address.');
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { baseUrl: `${url.origin}${prefix}`, host: url.host, origin: url.origin };
}

/** Whether `hostname` (as URL parses it) is this machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) ||
    name === '::1' ||
    // IPv4-mapped 127.x (URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1).
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(name)
  );
}

/**
 * The warning for plain `http://` to another machine: the conversation (and the API key) would
 * cross the network unencrypted. Null for https and for this machine.
 */
export function plainHttpWarning(baseUrl: string): string | null {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || isLoopback(url.hostname)) return null;
  return `${url.host} is reached over plain http: the conversation and the API key cross the network unencrypted. Use https:// (or an SSH tunnel) unless you trust every machine on that network.`;
}
