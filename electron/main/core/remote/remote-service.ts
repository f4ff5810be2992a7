/**
 * Remote engines in Settings (issue 13): the servers, their keys and the policy. Scaffolding for
 * now: every method answers that remote engines are not available yet; the remote-engine work
 * replaces this file.
 */
import type { AppHandlers } from '../../../../shared/contract';
import { MaiError } from '../../../../shared/errors';

type RemoteMethod = 'remote:list' | 'remote:test' | 'remote:save' | 'remote:remove' | 'remote:set-policy';

const unavailable = (): Promise<never> => Promise.reject(new MaiError('internal', 'Remote engines are not available in this build yet.'));

/** See the file comment. */
export class RemoteService {
  readonly handlers: AppHandlers<RemoteMethod> = {
    'remote:list': unavailable,
    'remote:test': unavailable,
    'remote:save': unavailable,
    'remote:remove': unavailable,
    'remote:set-policy': unavailable,
  };
}
