/**
 * Telling the user when a conversation leaves the machine: a remote rung's path is
 * `remote:<host:port>#<model>` and its name `<model> on <host:port>` (the engine's RuntimeSet and
 * RemoteRuntime, docs/remote.md). Model ids come from the server and are untrusted: they are only
 * ever rendered as text, never as markup.
 */

/** `host:port` of a remote rung's path, or null for a local file. */
export function remoteHostOfPath(path: string | null | undefined): string | null {
  const match = /^remote:([^#]+)#/.exec(path ?? '');
  return match?.[1] ?? null;
}

/** A piece of text, and whether it is the name of a remote host. */
export interface TextPart {
  text: string;
  host: boolean;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Splits `text` where it names one of `hosts` after "on " ("big-model on 192.168.1.20:8080"),
 * so the host can be marked; text without a known host comes back as one part.
 */
export function splitHosts(text: string, hosts: readonly string[]): TextPart[] {
  const known = [...new Set(hosts.filter(Boolean))].sort((a, b) => b.length - a.length);
  if (known.length === 0 || !text) return [{ text, host: false }];
  const pattern = new RegExp(`(?<=\\bon )(${known.map(escape).join('|')})(?![\\w.:-])`, 'g');
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index;
    if (at > last) parts.push({ text: text.slice(last, at), host: false });
    parts.push({ text: match[0], host: true });
    last = at + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), host: false });
  return parts.length ? parts : [{ text, host: false }];
}
