/**
 * Remote engines in Settings (docs/remote.md): the servers and the models chosen from them (in
 * settings.json), their API keys (kept apart per origin, see remote-keys.ts), the policy, "Test
 * connection" (the engine's `remote:probe`, so the request leaves from the process that will
 * stream the replies), the remote part of every `manager:configure`, and the servers' health as
 * the engine reports it (`remote:status` → `onRemoteStatus`).
 *
 * Under the default policy `local-only` the engine is told of no server at all: nothing is sent
 * anywhere (not even a health check) until the user adds a server and picks another policy. A
 * "Test connection" is the one request made before that, and only when the user asks.
 */
import type { AppEvents, AppHandlers } from '../../../../shared/contract';
import type { LogLevel } from '../../../../shared/domain';
import { Emitter } from '../../../../shared/emitter';
import { MaiError } from '../../../../shared/errors';
import type {
  RemoteConfig,
  RemoteEngine,
  RemoteEngineSetting,
  RemoteEngineView,
  RemotePolicy,
  RemoteProbeResult,
  RemoteSettingsView,
  RemoteStatus,
} from '../../../../shared/remote';
import type { AppSettings } from '../../../../shared/settings';
import type { EngineHost } from '../engine-host';
import { plainHttpWarning, remoteAddress } from './remote-address';
import type { RemoteKeys } from './remote-keys';

type RemoteMethod = 'remote:list' | 'remote:test' | 'remote:save' | 'remote:remove' | 'remote:set-policy';

/** Servers Mai keeps (the settings schema's limit). */
const MAX_ENGINES = 16;

export interface RemoteServiceDeps {
  engine: Pick<EngineHost, 'call' | 'onEngine'>;
  /** The settings service: `remoteEngines` and `remotePolicy` are read and written through it (a change rebuilds the ladder). */
  settings: { readonly value: AppSettings; update(patch: Partial<AppSettings>): Promise<AppSettings> };
  /** Where keys are kept; null = keys cannot be saved in this mode (a key can still be tried in "Test connection"). */
  keys: RemoteKeys | null;
  log: (level: LogLevel, message: string) => void;
}

export type RemoteServiceEvents = Pick<AppEvents, 'onRemoteStatus'>;

/** See the file comment. */
export class RemoteService extends Emitter<RemoteServiceEvents> {
  private statuses: RemoteStatus[] = [];
  /** Keys read or saved this session: removed from any text the engine sends on to the window. */
  private readonly knownKeys = new Set<string>();

  constructor(private readonly deps: RemoteServiceDeps) {
    super();
    deps.engine.onEngine('remote:status', (statuses) => {
      this.statuses = statuses.map((status) => this.redactStatus(status));
      this.emit('onRemoteStatus', this.configuredStatuses());
    });
  }

  readonly handlers: AppHandlers<RemoteMethod> = {
    'remote:list': () => this.view(),
    'remote:test': (params) => this.test(params),
    'remote:save': (params) => this.save(params),
    'remote:remove': ({ baseUrl }) => this.remove(baseUrl),
    'remote:set-policy': ({ policy }) => this.setPolicy(policy),
  };

  /**
   * What `manager:configure` carries: the servers with models chosen, with their keys, and the
   * policy. Under `local-only` no server at all (see the file comment).
   */
  async config(): Promise<RemoteConfig> {
    const { remotePolicy: policy, remoteEngines } = this.deps.settings.value;
    if (policy === 'local-only') return { policy, engines: [] };
    // A settings.json from before one server per host:port may hold two: the first one is used
    // (the engine would make them one runtime, the second replacing the first).
    const hosts = new Set<string>();
    const firstOnItsHost = (engine: RemoteEngineSetting) => {
      const { host } = remoteAddress(engine.baseUrl);
      if (hosts.has(host)) return false;
      hosts.add(host);
      return true;
    };
    const engines = await Promise.all(
      remoteEngines
        .filter((engine) => engine.models.length > 0 && firstOnItsHost(engine))
        .map(async (engine) => {
          const apiKey = await this.keyFor(remoteAddress(engine.baseUrl).origin);
          return { baseUrl: engine.baseUrl, models: engine.models, ...(apiKey ? { apiKey } : {}) };
        }),
    );
    return { policy, engines };
  }

  /** Settings' remote section: the policy, the servers (never a key) and their health. */
  async view(): Promise<RemoteSettingsView> {
    const { remotePolicy, remoteEngines } = this.deps.settings.value;
    return { policy: remotePolicy, engines: await Promise.all(remoteEngines.map((engine) => this.engineView(engine))), statuses: this.configuredStatuses() };
  }

  /**
   * "Test connection": the engine reads the server's `/health`, `/v1/models` and `/props`. Without
   * a key given, the saved one is used: while a saved server is edited (`previousBaseUrl`) and its
   * address moves to another origin, that server's key, the one a save would move with it.
   */
  async test(params: RemoteEngine & { previousBaseUrl?: string | undefined }): Promise<RemoteProbeResult> {
    const address = remoteAddress(params.baseUrl);
    const apiKey = params.apiKey?.trim() || (await this.editedKey(params.previousBaseUrl, address.origin)) || (await this.keyFor(address.origin));
    try {
      const result = await this.deps.engine.call('remote:probe', { baseUrl: address.baseUrl, ...(apiKey ? { apiKey } : {}) });
      // The warning rule is main's (the same one Settings shows for a saved server).
      return { ...result, host: address.host, warning: plainHttpWarning(address.baseUrl) };
    } catch (error) {
      const message = redact((error as Error).message, apiKey);
      throw new MaiError(error instanceof MaiError ? error.code : 'network', message);
    }
  }

  /**
   * Adds or updates a server. `apiKey`: a string saves it, null forgets it, absent keeps the saved
   * one. `previousBaseUrl`: the saved server being edited, replaced by this one; when its origin
   * changes, its key moves with it (the user typed that key for this server, and the form says
   * "Key saved"), unless a new key is given or the key is forgotten.
   *
   * One server per `host:port`: the engine names a server's runtime `remote:<host:port>`, so two
   * paths on one host (`https://gpu.lan/llama`, `https://gpu.lan/qwen`) would be one runtime.
   */
  async save(params: {
    baseUrl: string;
    models: string[];
    apiKey?: string | null | undefined;
    previousBaseUrl?: string | undefined;
  }): Promise<RemoteSettingsView> {
    const address = remoteAddress(params.baseUrl);
    const engines = this.deps.settings.value.remoteEngines;
    const previous = params.previousBaseUrl === undefined ? null : remoteAddress(params.previousBaseUrl);
    const existing = engines.findIndex((engine) => engine.baseUrl === (previous ?? address).baseUrl);
    if (previous && existing < 0) throw new MaiError('not-found', `No server at ${previous.baseUrl} is saved; add this one as a new server.`);
    if (engines.some((engine, index) => index !== existing && remoteAddress(engine.baseUrl).host === address.host))
      throw new MaiError('bad-request', `A server at ${address.host} is already in the list; change that one instead.`);
    if (existing < 0 && engines.length >= MAX_ENGINES) throw new MaiError('bad-request', `Mai keeps at most ${MAX_ENGINES} servers; remove one first.`);
    const models = [...new Set(params.models)];
    const entry: RemoteEngineSetting = { baseUrl: address.baseUrl, models };
    const next = existing < 0 ? [...engines, entry] : engines.map((engine, index) => (index === existing ? entry : engine));
    const moved = previous !== null && previous.origin !== address.origin;
    // The key goes to the new origin first: a refusal (no place for keys) leaves everything as it was.
    const key = params.apiKey !== undefined ? params.apiKey : moved ? await this.keyFor(previous.origin) : undefined;
    if (key !== undefined) await this.saveKey(address.origin, key);
    if (moved && !next.some((engine) => remoteAddress(engine.baseUrl).origin === previous.origin)) await this.saveKey(previous.origin, null);
    const keyNote = params.apiKey ? ' and an API key' : params.apiKey === null ? ', its API key forgotten' : moved && key ? ', its API key moved with it' : '';
    const from = previous && previous.baseUrl !== address.baseUrl ? ` (was ${previous.host})` : '';
    this.deps.log('info', `remote engine ${address.host}${from} saved with ${models.length} model${models.length === 1 ? '' : 's'}${keyNote}`);
    await this.deps.settings.update({ remoteEngines: next });
    return this.view();
  }

  /** Removes a server, its rungs, and its key when no other saved server shares its origin. */
  async remove(baseUrl: string): Promise<RemoteSettingsView> {
    const address = remoteAddress(baseUrl);
    const engines = this.deps.settings.value.remoteEngines;
    const next = engines.filter((engine) => engine.baseUrl !== address.baseUrl);
    if (next.length === engines.length) throw new MaiError('not-found', `No server at ${address.baseUrl} is saved.`);
    if (!next.some((engine) => remoteAddress(engine.baseUrl).origin === address.origin)) await this.saveKey(address.origin, null);
    this.deps.log('info', `remote engine ${address.host} removed`);
    await this.deps.settings.update({ remoteEngines: next });
    return this.view();
  }

  /** Chooses where remote rungs go on the ladder. */
  async setPolicy(policy: RemotePolicy): Promise<RemoteSettingsView> {
    this.deps.log('info', `remote policy: ${policy}`);
    await this.deps.settings.update({ remotePolicy: policy });
    if (policy === 'local-only') this.statuses = [];
    return this.view();
  }

  private async saveKey(origin: string, key: string | null): Promise<void> {
    const clean = key?.trim() || null;
    if (!this.deps.keys) {
      if (clean === null) return;
      throw new MaiError('bad-request', 'API keys cannot be saved in this mode (Mai has no data folder); the key can still be tried with Test connection.');
    }
    await this.deps.keys.write(origin, clean);
    if (clean) this.knownKeys.add(clean);
  }

  /** The key of the saved server `previousBaseUrl` when it is saved and on another origin than `origin`; else null. */
  private async editedKey(previousBaseUrl: string | undefined, origin: string): Promise<string | null> {
    if (previousBaseUrl === undefined) return null;
    const previous = remoteAddress(previousBaseUrl);
    if (previous.origin === origin || !this.deps.settings.value.remoteEngines.some((engine) => engine.baseUrl === previous.baseUrl)) return null;
    return this.keyFor(previous.origin);
  }

  private async keyFor(origin: string): Promise<string | null> {
    const key = (await this.deps.keys?.read(origin)) ?? null;
    if (key) this.knownKeys.add(key);
    return key;
  }

  private async engineView(engine: RemoteEngineSetting): Promise<RemoteEngineView> {
    const address = remoteAddress(engine.baseUrl);
    const hasApiKey = (await this.keyFor(address.origin)) !== null;
    return {
      baseUrl: engine.baseUrl,
      host: address.host,
      models: engine.models,
      hasApiKey,
      keyEncrypted: hasApiKey ? (this.deps.keys?.encrypted(address.origin) ?? null) : null,
      warning: plainHttpWarning(engine.baseUrl),
    };
  }

  /** The engine's statuses of the servers still saved (a removed server's last report is dropped). */
  private configuredStatuses(): RemoteStatus[] {
    const saved = new Set(this.deps.settings.value.remoteEngines.map((engine) => engine.baseUrl));
    return this.statuses.filter((status) => saved.has(status.baseUrl));
  }

  /** The engine redacts its sentences already; this is the second lock before the window. */
  private redactStatus(status: RemoteStatus): RemoteStatus {
    const clean = (text: string | null) => (text === null ? null : [...this.knownKeys].reduce((t, key) => redact(t, key), text));
    return {
      ...status,
      lastError: clean(status.lastError),
      models: Object.fromEntries(Object.entries(status.models).map(([id, figures]) => [id, { ...figures, lastError: clean(figures.lastError) }])),
    };
  }
}

/** `text` with every occurrence of `key` replaced by `[API key]`. */
export function redact(text: string, key: string | null | undefined): string {
  return key ? text.split(key).join('[API key]') : text;
}
