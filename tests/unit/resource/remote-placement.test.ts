/** The placement rule for remote rungs (resource/policy/remote-placement.ts), case by case. */
import { describe, expect, it } from 'vitest';
import { placeLoad, SHORT_FRACTION, type PlacementInput } from '../../../electron/engine/resource/policy/remote-placement';

const GiB = 2 ** 30;
const large = { id: 'large', bytes: 4 * GiB };
const q6 = { id: 'large-q6', bytes: 3.2 * GiB };
const medium = { id: 'medium', bytes: 2 * GiB };
const base: PlacementInput = { policy: 'local-first', target: large, lastLocal: null, anchor: null, usableRemote: 'remote:box#big', preferred: null };

describe('placeLoad', () => {
  it('local only never places a remote rung, whatever else holds', () => {
    for (const preferred of [null, 'remote', 'local'] as const) {
      expect(placeLoad({ ...base, policy: 'local-only', preferred, lastLocal: large, target: medium }).remoteId).toBeNull();
    }
  });

  it('remote first: the server while usable, the local rung otherwise', () => {
    expect(placeLoad({ ...base, policy: 'remote-first' }).remoteId).toBe('remote:box#big');
    expect(placeLoad({ ...base, policy: 'remote-first', usableRemote: null }).remoteId).toBeNull();
    expect(placeLoad({ ...base, policy: 'remote-first', preferred: 'local' }).remoteId).toBeNull();
  });

  it('local first: local at the start and on a step to a rung of about the same size', () => {
    expect(placeLoad(base).remoteId).toBeNull();
    expect(q6.bytes).toBeGreaterThanOrEqual(SHORT_FRACTION * large.bytes);
    expect(placeLoad({ ...base, lastLocal: large, target: q6 }).remoteId).toBeNull();
  });

  it('local first: a step down to a much smaller rung goes to a usable server instead, anchored to the rung left', () => {
    const placed = placeLoad({ ...base, lastLocal: large, target: medium });
    expect(placed).toMatchObject({ remoteId: 'remote:box#big', anchor: large });
    expect(placeLoad({ ...base, lastLocal: large, target: medium, usableRemote: null }).remoteId).toBeNull();
  });

  it('local first: a cost step of the same model stays local, however much smaller (a multi-step cascade jump)', () => {
    const full = { id: 'large', bytes: 4 * GiB, model: 'large.gguf' };
    const step = { id: 'large@q8_0/1024', bytes: 2 * GiB, model: 'large.gguf' };
    expect(placeLoad({ ...base, lastLocal: full, target: step })).toMatchObject({ remoteId: null, anchor: null });
    // Another model of that size still goes to the server.
    expect(placeLoad({ ...base, lastLocal: full, target: { ...medium, model: 'medium.gguf' } }).remoteId).toBe('remote:box#big');
  });

  it('local first while remote: stays while the scaler rung is much smaller than the anchor, back when it is not', () => {
    expect(placeLoad({ ...base, anchor: large, target: { id: 'small', bytes: 1 * GiB } }).remoteId).toBe('remote:box#big');
    expect(placeLoad({ ...base, anchor: large, target: large })).toMatchObject({ remoteId: null, anchor: null });
    // The server gone: local, the anchor kept so that Mai returns to the server when it is back.
    expect(placeLoad({ ...base, anchor: large, target: medium, usableRemote: null })).toMatchObject({ remoteId: null, anchor: large });
  });

  it('a remote model the user chose is used while usable, whatever the policy but local only', () => {
    expect(placeLoad({ ...base, preferred: 'remote' }).remoteId).toBe('remote:box#big');
    expect(placeLoad({ ...base, preferred: 'remote', usableRemote: null }).remoteId).toBeNull();
  });
});
