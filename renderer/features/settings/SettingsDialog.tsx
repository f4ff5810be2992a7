/**
 * Every field of AppSettings with its label, unit, default and valid range (read from the shared
 * schema, see settings-fields.ts). Each field is saved on its own when it is committed (Enter,
 * leaving the field, or picking an option); a refusal shows main's sentence beside the field.
 */
import { Fragment, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppSettings } from '../../../shared/settings';
import { call } from '../../ipc/api';
import { Modal } from '../common/Modal';
import { HubTokenSection } from './HubTokenSection';
import { TraceSection } from './TraceSection';
import { baseName } from '../../lib/models';
import { setModels, setSettings, setSettingsOpen, useAppStore } from '../../stores/app-store';
import { useResourceStore } from '../../stores/resource-store';
import { allFields, defaultText, parseShown, rangeText, tierDefaultText, toShown, type FieldMeta, type SettingKey } from './settings-fields';

const EMPTY: readonly string[] = [];

type Status = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

/** Saves one field; returns the status to show beside it. */
async function save(key: SettingKey, value: unknown): Promise<Status> {
  try {
    setSettings(await call('settings:update', { patch: { [key]: value } }));
    return { kind: 'saved' };
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
}

function useSaver(key: SettingKey) {
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  const commit = async (value: unknown) => {
    setStatus({ kind: 'saving' });
    const next = await save(key, value);
    setStatus(next);
    if (next.kind === 'saved') {
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => setStatus({ kind: 'idle' }), 2500);
    }
    return next;
  };
  return { status, commit, setStatus };
}

function Row({
  meta,
  status,
  children,
  extra,
  shownDefault,
}: {
  meta: FieldMeta;
  status: Status;
  children: ReactNode;
  extra?: ReactNode;
  shownDefault?: string;
}) {
  const models = useAppStore((s) => s.models);
  const name = (path: string) => models.find((m) => m.path === path)?.fileName ?? baseName(path);
  const range = rangeText(meta);
  return (
    <div className={`setting-row${status.kind === 'error' ? ' has-error' : ''}`} data-testid={`setting-row-${meta.key}`}>
      <div className="setting-text">
        <label className="setting-label" htmlFor={`setting-${meta.key}`}>
          {meta.label}
        </label>
        <p className="setting-help">
          {meta.help}
          {meta.appliesAtNextStart && (
            <>
              {' '}
              <strong data-testid={`setting-next-start-${meta.key}`}>A change applies at the next start of Mai.</strong>
            </>
          )}
        </p>
        <p className="setting-facts" data-testid={`setting-facts-${meta.key}`}>
          <span>
            Default: <strong>{shownDefault ?? defaultText(meta, name)}</strong>
          </span>
          {range && (
            <span>
              Range: <strong>{range}</strong>
            </span>
          )}
        </p>
        {extra}
      </div>
      <div className="setting-control">
        {children}
        <span className="setting-status" aria-live="polite">
          {status.kind === 'saving' && <span className="muted">Saving…</span>}
          {status.kind === 'saved' && (
            <span className="saved" data-testid={`setting-saved-${meta.key}`}>
              Saved
            </span>
          )}
        </span>
        {status.kind === 'error' && (
          <p className="field-error" role="alert" data-testid={`setting-error-${meta.key}`}>
            {status.message}
          </p>
        )}
      </div>
    </div>
  );
}

function NumberField({ meta, value }: { meta: FieldMeta; value: number | null }) {
  const { status, commit } = useSaver(meta.key);
  const [text, setText] = useState(toShown(meta, value));
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setText(toShown(meta, value));
  }, [meta, value]);
  const submit = () => {
    const parsed = parseShown(meta, text);
    if (parsed === value) return;
    void commit(parsed);
  };
  return (
    <Row meta={meta} status={status}>
      <div className="input-with-unit">
        <input
          id={`setting-${meta.key}`}
          data-testid={`setting-${meta.key}`}
          type="text"
          inputMode="decimal"
          value={text}
          placeholder={meta.nullable ? (meta.emptyLabel ?? '') : ''}
          aria-invalid={status.kind === 'error'}
          onFocus={() => (focused.current = true)}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => {
            focused.current = false;
            submit();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') submit();
          }}
        />
        {meta.unit && <span className="unit">{meta.unit}</span>}
      </div>
    </Row>
  );
}

function TierThresholds({ meta, value }: { meta: FieldMeta; value: AppSettings['actThresholds'] }) {
  const { status, commit } = useSaver(meta.key);
  const tierId = useResourceStore((s) => s.tier?.id ?? null);
  const degrade = useResourceStore((s) => s.snapshot?.thresholds.degrade ?? null);
  const current = tierId === null ? null : { id: tierId, degrade };
  // The scaler's threshold is the tier's default only while the user set none for this tier.
  const overridden = tierId !== null && value[tierId as keyof typeof value] !== undefined;
  const tierDefault = current && degrade !== null && !overridden ? Math.round(degrade * meta.scale) : null;
  const tiers = meta.options ?? EMPTY;
  const [texts, setTexts] = useState<Record<string, string>>({});
  useEffect(() => {
    setTexts(Object.fromEntries(tiers.map((t) => [t, toShown(meta, value[t as keyof typeof value])])));
  }, [meta, tiers, value]);
  const submit = (tier: string) => {
    const parsed = parseShown(meta, texts[tier] ?? '');
    const before = value[tier as keyof typeof value] ?? null;
    if (parsed === before) return;
    const next: Record<string, unknown> = { ...value };
    if (parsed === null) delete next[tier];
    else next[tier] = parsed;
    void commit(next);
  };
  return (
    <Row
      meta={meta}
      status={status}
      shownDefault={tierDefaultText(meta, current && degrade !== null ? { tierId: current.id, inUse: degrade } : null, overridden)}
      extra={
        current && (
          <p className="setting-help">
            This machine is in the <strong>{current.id}</strong> tier; Mai acts at{' '}
            <strong data-testid="current-act-threshold">{current.degrade === null ? '—' : `${Math.round(current.degrade * 100)} %`}</strong> now.
          </p>
        )
      }
    >
      <div className="tier-grid">
        {tiers.map((tier) => (
          <label key={tier} className={`tier-input${current?.id === tier ? ' current' : ''}`}>
            <span>{tier}</span>
            <span className="input-with-unit">
              <input
                {...(tier === tiers[0] ? { id: `setting-${meta.key}` } : {})}
                data-testid={`setting-actThresholds-${tier}`}
                type="text"
                inputMode="decimal"
                value={texts[tier] ?? ''}
                placeholder={current?.id === tier && tierDefault !== null ? String(tierDefault) : 'auto'}
                title={current?.id === tier && tierDefault !== null ? `Empty: this tier’s default, ${tierDefault} % here` : 'Empty: this tier’s own default'}
                onChange={(e) => setTexts({ ...texts, [tier]: e.target.value })}
                onBlur={() => submit(tier)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') submit(tier);
                }}
              />
              <span className="unit">%</span>
            </span>
          </label>
        ))}
      </div>
    </Row>
  );
}

function ModelField({ meta, value }: { meta: FieldMeta; value: string | null }) {
  const { status, commit } = useSaver(meta.key);
  const models = useAppStore((s) => s.models);
  const [selected, setSelected] = useState(value ?? '');
  useEffect(() => setSelected(value ?? ''), [value]);
  const known = selected === '' || models.some((m) => m.path === selected);
  const choose = async (path: string) => {
    setSelected(path);
    if ((await commit(path === '' ? null : path)).kind === 'error') setSelected(value ?? '');
  };
  return (
    <Row meta={meta} status={status}>
      <select id={`setting-${meta.key}`} data-testid={`setting-${meta.key}`} value={selected} onChange={(e) => void choose(e.target.value)}>
        <option value="">{meta.emptyLabel ?? 'None'}</option>
        {!known && <option value={selected}>{baseName(selected)} (missing)</option>}
        {models.map((m) => (
          <option key={m.path} value={m.path}>
            {m.fileName.replace(/\.gguf$/i, '')}
          </option>
        ))}
      </select>
    </Row>
  );
}

function EnumField({ meta, value }: { meta: FieldMeta; value: string }) {
  const { status, commit } = useSaver(meta.key);
  const [selected, setSelected] = useState(value);
  useEffect(() => setSelected(value), [value]);
  const choose = async (option: string) => {
    if (option === selected) return;
    setSelected(option);
    if ((await commit(option)).kind === 'error') setSelected(value);
  };
  return (
    <Row meta={meta} status={status}>
      <div className="segmented" role="radiogroup" aria-label={meta.label} data-testid={`setting-${meta.key}`} data-value={selected}>
        {(meta.options ?? []).map((option) => (
          <button
            key={option}
            type="button"
            role="radio"
            aria-checked={selected === option}
            className={selected === option ? 'selected' : ''}
            data-testid={`setting-${meta.key}-${option}`}
            onClick={() => void choose(option)}
          >
            {option[0]?.toUpperCase()}
            {option.slice(1)}
          </button>
        ))}
      </div>
    </Row>
  );
}

function TextField({ meta, value }: { meta: FieldMeta; value: string | null }) {
  const { status, commit } = useSaver(meta.key);
  const [text, setText] = useState(value ?? '');
  useEffect(() => setText(value ?? ''), [value]);
  const submit = () => {
    const next = text.trim() === '' ? null : text.trim();
    if (next !== value) void commit(next);
  };
  return (
    <Row meta={meta} status={status}>
      <input
        id={`setting-${meta.key}`}
        data-testid={`setting-${meta.key}`}
        type="text"
        className="wide"
        value={text}
        placeholder={meta.emptyLabel}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onBlur={submit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') submit();
        }}
      />
    </Row>
  );
}

function BooleanField({ meta, value }: { meta: FieldMeta; value: boolean }) {
  const { status, commit } = useSaver(meta.key);
  // Shown at once; put back if main refuses it.
  const [checked, setChecked] = useState(value);
  useEffect(() => setChecked(value), [value]);
  const change = async (next: boolean) => {
    setChecked(next);
    if ((await commit(next)).kind === 'error') setChecked(value);
  };
  return (
    <Row meta={meta} status={status}>
      <label className="switch">
        <input
          id={`setting-${meta.key}`}
          data-testid={`setting-${meta.key}`}
          type="checkbox"
          role="switch"
          checked={checked}
          onChange={(e) => void change(e.target.checked)}
        />
        <span className="switch-track" aria-hidden="true" />
      </label>
    </Row>
  );
}

function ReadonlyField({ meta, value }: { meta: FieldMeta; value: unknown }) {
  let text: string;
  let title: string;
  if (Array.isArray(value)) {
    text = value.length ? value.map((v) => baseName(String(v))).join(', ') : 'none';
    title = value.join('\n');
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    text = entries.length ? `${entries.length} model${entries.length === 1 ? '' : 's'}` : 'none';
    title = entries.map(([k, v]) => `${baseName(k)}: ${typeof v === 'number' ? new Date(v).toLocaleString() : String(v)}`).join('\n');
  } else {
    text = value === null || value === undefined ? 'none' : typeof value === 'string' ? baseName(value) : String(value);
    title = String(value ?? '');
  }
  return (
    <Row meta={meta} status={{ kind: 'idle' }}>
      <span className="readonly" data-testid={`setting-${meta.key}`} title={title}>
        {text}
      </span>
    </Row>
  );
}

function Field({ meta, settings }: { meta: FieldMeta; settings: AppSettings }) {
  const value = settings[meta.key];
  switch (meta.kind) {
    case 'percent-per-tier':
      return <TierThresholds meta={meta} value={value as AppSettings['actThresholds']} />;
    case 'number':
      return <NumberField meta={meta} value={value as number | null} />;
    case 'model':
      return <ModelField meta={meta} value={value as string | null} />;
    case 'enum':
      return <EnumField meta={meta} value={value as string} />;
    case 'text':
      return <TextField meta={meta} value={value as string | null} />;
    case 'boolean':
      return <BooleanField meta={meta} value={value as boolean} />;
    default:
      return <ReadonlyField meta={meta} value={value} />;
  }
}

const FIELDS = allFields();
const GROUPS = [...new Set(FIELDS.map((f) => f.group))];
/** The token is shown before this group (what Mai only remembers), or last when there is none. */
const TOKEN_BEFORE = GROUPS.includes('Remembered by Mai') ? 'Remembered by Mai' : null;

export function SettingsDialog() {
  const settings = useAppStore((s) => s.settings);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    call('settings:get', {}).then(setSettings, (error: Error) => setLoadError(error.message));
    call('models:list', {}).then(setModels, () => {});
  }, []);
  return (
    <Modal
      id="settings"
      title="Settings"
      className="settings"
      testId="settings-dialog"
      footer="Changes are saved as you make them and kept across restarts."
      onClose={() => setSettingsOpen(false)}
    >
      {!settings ? (
        <p className="muted">{loadError ?? 'Loading…'}</p>
      ) : (
        GROUPS.map((group) => (
          <Fragment key={group}>
            {/* The token sits with what the user sets, before what Mai only remembers. */}
            {group === TOKEN_BEFORE && <HubTokenSection />}
            <section className="settings-group">
              <h3>{group}</h3>
              {FIELDS.filter((f) => f.group === group).map((meta) => (
                <Field key={meta.key} meta={meta} settings={settings} />
              ))}
            </section>
          </Fragment>
        ))
      )}
      {settings && TOKEN_BEFORE === null && <HubTokenSection />}
      {settings && <TraceSection />}
    </Modal>
  );
}
