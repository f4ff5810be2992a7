/** The scaler's decisions, newest first, each with its reason and the numbers behind it. */
import { memo, useState } from 'react';
import type { DecisionData } from '../../../shared/resource';
import { formatClock, formatMetric, humanizeKey } from '../../lib/format';
import { modelLabel } from '../../lib/models';
import { useAppStore } from '../../stores/app-store';
import { useResourceStore } from '../../stores/resource-store';
import { HostText } from '../common/HostText';

const ACTION_LABEL: Record<DecisionData['action'], string> = {
  degrade: 'Stepped down',
  upgrade: 'Stepped up',
  threads: 'Threads',
  switch: 'Switched',
  loaded: 'Loaded',
  cancel: 'Cancelled',
};

const Decision = memo(function Decision({ decision }: { decision: DecisionData }) {
  const ladder = useResourceStore((s) => s.ladder);
  const models = useAppStore((s) => s.models);
  const failed = decision.action === 'loaded' && decision.ok === false;
  const label = failed ? 'Load failed' : ACTION_LABEL[decision.action];
  const hasMove = decision.from !== undefined || decision.to !== undefined;
  const metrics = Object.entries(decision.metrics);
  return (
    <li className={`decision decision-${decision.action}${failed ? ' decision-failed' : ''}`} data-testid="decision" data-action={decision.action}>
      <div className="decision-head">
        <span className="decision-action">{label}</span>
        <span className="decision-path" title="What triggered it">
          {decision.path}
        </span>
        <time className="decision-time">{formatClock(decision.t)}</time>
      </div>
      {hasMove && (
        <div className="decision-move">
          {decision.from !== undefined && (
            <span>
              <HostText text={modelLabel(decision.from, ladder, models)} />
            </span>
          )}
          {decision.from !== undefined && decision.to !== undefined && <span className="arrow">→</span>}
          {decision.to !== undefined && (
            <span>
              <HostText text={modelLabel(decision.to, ladder, models)} />
            </span>
          )}
        </div>
      )}
      <p className="decision-reason" data-testid="decision-reason">
        <HostText text={decision.reason} />
      </p>
      {metrics.length > 0 && (
        <ul className="metrics">
          {metrics.map(([key, value]) => (
            <li key={key} title={key}>
              <span className="metric-key">{humanizeKey(key)}</span> <span className="metric-value">{formatMetric(key, value)}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
});

const PAGE = 20;

export function DecisionLog() {
  const decisions = useResourceStore((s) => s.decisions);
  const [shown, setShown] = useState(PAGE);
  return (
    <section className="card" data-testid="decision-log">
      <div className="card-row">
        <span className="card-title">Decisions</span>
        <span className="muted small-text">{decisions.length === 0 ? 'none yet' : `${decisions.length}, newest first`}</span>
      </div>
      {decisions.length > 0 && (
        <ol className="decisions">
          {decisions.slice(0, shown).map((decision) => (
            <Decision key={`${decision.id}-${decision.t}`} decision={decision} />
          ))}
        </ol>
      )}
      {decisions.length > shown && (
        <button type="button" className="button-link" onClick={() => setShown(shown + PAGE)}>
          Show older
        </button>
      )}
    </section>
  );
}
