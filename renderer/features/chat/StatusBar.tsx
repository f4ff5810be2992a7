import { call } from '../../ipc/api';
import { pushNotice, useAppStore } from '../../stores/app-store';
import { HostText } from '../common/HostText';
import { remoteHostOfPath } from '../../lib/remote';

const ENGINE_LABEL: Record<string, string> = {
  starting: 'Engine starting…',
  ready: 'Engine ready',
  loading: 'Loading model…',
  generating: 'Generating',
  restarting: 'Engine restarting…',
  stopped: 'Engine stopped',
  failed: 'Engine down',
};

/** Model name, engine state and the speed of the last reply. */
export function StatusBar() {
  const model = useAppStore((state) => state.model);
  const engine = useAppStore((state) => state.engine);
  const connected = useAppStore((state) => state.connected || state.mode === 'electron');
  const lastStats = useAppStore((state) => {
    for (let i = state.messageIds.length - 1; i >= 0; i -= 1) {
      const message = state.messages[state.messageIds[i] ?? ''];
      if (message?.stats) return message.stats;
    }
    return undefined;
  });
  return (
    <footer className="status-bar">
      <span data-testid="engine-state" data-state={engine.state} className={`engine-state engine-${engine.state}`}>
        {connected ? (ENGINE_LABEL[engine.state] ?? engine.state) : 'Reconnecting to Mai…'}
      </span>
      {engine.state === 'failed' && (
        <button
          type="button"
          data-testid="restart-engine"
          title={engine.detail}
          onClick={() => call('engine:restart', {}).catch((error: Error) => pushNotice({ level: 'error', message: error.message }))}
        >
          Restart engine
        </button>
      )}
      <span data-testid="model-name" title={model?.path}>
        {model ? (
          <>
            <HostText text={model.name} />
            {model.synthetic && !/gibberish/i.test(model.name) ? ' (demo model: gibberish)' : ''}
          </>
        ) : (
          'No model loaded'
        )}
      </span>
      {model && (
        <span>
          context {model.contextSize} ·{' '}
          {remoteHostOfPath(model.path) ? 'on another machine' : `${model.threads} threads · ${model.gpu ? `GPU ${model.gpu}` : 'CPU'}`}
        </span>
      )}
      <span data-testid="tokens-per-second">{lastStats ? `${lastStats.tokensPerSecond.toFixed(1)} tokens/s` : '—'}</span>
    </footer>
  );
}
