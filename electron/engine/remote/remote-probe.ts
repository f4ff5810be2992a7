/**
 * Settings' "Test connection" (`remote:probe`): what the server says about itself, read from the
 * engine process, and the warning for a plain `http://` address beyond this machine.
 */
import type { RemoteEngine, RemoteProbeResult } from '../../../shared/remote';
import { RemoteServer } from './remote-server';

/** The warning shown for plain http to another machine, or null. */
export function unencryptedWarning(server: RemoteServer): string | null {
  return server.unencryptedOverNetwork
    ? `${server.host} is reached over plain http: the conversation would cross the network unencrypted, readable by anyone on the way. Use https:// (a reverse proxy in front of the server) unless the network is yours and trusted.`
    : null;
}

/** Probes `engine` (`/health`, `/v1/models`, `/props`); rejects with a RemoteError sentence (the key never in it). */
export async function probeRemote(engine: RemoteEngine, signal?: AbortSignal): Promise<RemoteProbeResult> {
  const server = new RemoteServer(engine);
  const probe = await server.probe(signal);
  return {
    host: server.host,
    models: probe.models,
    contextSize: probe.contextSize,
    slots: probe.slots,
    rttMs: probe.rttMs,
    warning: unencryptedWarning(server),
  };
}
