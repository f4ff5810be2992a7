/**
 * The engine's `manager:configure` and `manager:select` where they meet the remote rungs: which
 * request may change the user's choice between the machine and a server (ladder-remote.ts
 * `prefer`), and when.
 *
 * - Only `manager:select` is a choice. Main sends `manager:configure` for every settings change
 *   with the model loaded now as `preferredPath`: a server's address there says only where Mai is,
 *   so taking it as a choice would pin Mai to the server whatever the policy says.
 * - A choice lasts until the remote settings change (a new policy or other servers).
 * - A choice that fails (a missing or damaged file, a server that cannot be used) leaves the
 *   choice in force before it unchanged.
 */
import type { LoadedModel } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import type { RemoteLadder } from './ladder-remote';
import type { ConfigureRequest, LadderInput, ModelManager } from './model-manager';

/** A remote rung's address (`remote:<host>#<model>`, runtime-set.ts). */
export const REMOTE_ADDRESS = /^remote:[^#]+#/;

/** See the file comment. One per engine process. */
export class ManagerRequests {
  /** The last `manager:configure` (a remote model chosen reconfigures with it). */
  private last: ConfigureRequest | null = null;

  constructor(private readonly remote: RemoteLadder) {}

  /** `manager:configure`: the ladder, settings and servers in force; never changes the user's choice, except to drop it when the servers change. */
  configure(manager: ModelManager, request: ConfigureRequest): Promise<LoadedModel | null> {
    const remoteChanged = JSON.stringify(request.remote) !== JSON.stringify(this.last?.remote);
    if (remoteChanged) this.remote.prefer(null);
    // Remote models come as `remote`, never as files: an address in the list would be estimated as a 0-byte file.
    const models = request.models.filter((model) => !REMOTE_ADDRESS.test(model.path));
    // A server's address is where Mai is now, not a file to start on: the placement decides again.
    const preferredPath = request.preferredPath && REMOTE_ADDRESS.test(request.preferredPath) ? null : request.preferredPath;
    this.last = { ...request, models, preferredPath };
    return manager.configure(this.last);
  }

  /** `manager:select`: the user chose a model on this machine (a path) or on a server (its address). */
  async select(manager: ModelManager, path: string, models: LadderInput[]): Promise<LoadedModel> {
    const before = this.remote.preference;
    try {
      if (!this.remote.isRemote(path)) {
        this.remote.prefer('local');
        return await manager.selectModel(path, models);
      }
      const rung = this.remote.rungs.find((r) => r.id === path);
      if (!rung || !this.last) throw new MaiError('model-not-found', 'That remote model is not among the servers in the settings.');
      this.remote.prefer(path);
      const files = models.filter((m) => !REMOTE_ADDRESS.test(m.path));
      const model = await manager.configure({ ...this.last, models: files, preferredPath: null });
      if (model?.path !== path)
        throw new MaiError(
          'model-load-failed',
          `Could not switch to ${rung.model.name}: ${this.remote.whyNot(rung)?.replace(/\.$/, '') ?? 'the server is not usable now'}.`,
        );
      return model;
    } catch (error) {
      // Not switched: the choice before stays (the placement then follows it, as before the attempt).
      this.remote.prefer(before);
      throw error;
    }
  }
}
