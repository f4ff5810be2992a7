/**
 * The ladder: the models Mai moves between, the one in use marked. A rung on another machine names
 * its host (marked "remote") and carries its own figures — time to first token, tokens/s, failures,
 * round trip — from the engine's newest report, else from the ladder as it was built.
 */
import type { LadderRungData } from '../../../shared/resource';
import { formatBytes } from '../../lib/format';
import { useAppStore } from '../../stores/app-store';
import { useRemoteStore } from '../../stores/remote-store';
import { useResourceStore } from '../../stores/resource-store';
import { HostText } from '../common/HostText';
import { figuresText, HealthPill } from '../settings/RemoteServers';

/** The model id on the server of a remote rung (`remote:<host>#<model>`). */
const modelIdOf = (rung: LadderRungData) => rung.path.slice(rung.path.indexOf('#') + 1);

function RemoteFiguresLine({ rung }: { rung: LadderRungData & { host: string } }) {
  const status = useRemoteStore((s) => s.statuses.find((st) => st.host === rung.host));
  const figures = status?.models[modelIdOf(rung)] ?? rung.remote;
  return (
    <span className="ladder-figures" data-testid="ladder-remote-figures">
      <HealthPill status={status} used />
      <span className="muted small-text">{figuresText(figures)}</span>
    </span>
  );
}

export function LadderCard() {
  const ladder = useResourceStore((s) => s.ladder);
  const current = useAppStore((s) => s.model?.path ?? null);
  if (ladder.length === 0) return null;
  return (
    <section className="card" data-testid="ladder-card">
      <details open={ladder.some((r) => r.host !== undefined)}>
        <summary>
          <span className="card-title">Ladder</span>
          <span className="muted small-text">
            {ladder.length} model{ladder.length === 1 ? '' : 's'}
          </span>
        </summary>
        <ol className="ladder">
          {ladder.map((rung) => (
            <li
              key={rung.id}
              className={`ladder-rung${rung.path === current ? ' current' : ''}${rung.host ? ' remote' : ''}`}
              data-testid="ladder-rung"
              data-remote={rung.host ? 'true' : 'false'}
              aria-current={rung.path === current ? 'true' : undefined}
            >
              <span className="ladder-name">
                <HostText text={rung.name} />
              </span>
              {rung.host ? (
                <RemoteFiguresLine rung={{ ...rung, host: rung.host }} />
              ) : (
                <span className="muted small-text">{formatBytes(rung.estimatedMemBytes)} here</span>
              )}
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}
