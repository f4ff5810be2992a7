/**
 * What the settings page shows for each field of AppSettings. Ranges and defaults are read from
 * shared/settings.ts's schema (the one source of truth, also used by main to refuse values); only
 * the words (label, unit, help) and the display scale (fraction → %, bytes → GiB) live here.
 */
import { appSettingsSchema, defaultAppSettings, tierIds, type AppSettings } from '../../../shared/settings';

export type SettingKey = keyof AppSettings;

/** The parts of zod's internals read here (zod 4: `_zod.def`, `minValue`, `options`). */
interface SchemaLike {
  _zod: { def: { type: string; innerType?: SchemaLike; keyType?: SchemaLike; valueType?: SchemaLike; element?: SchemaLike } };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  maxLength?: number | null;
  options?: readonly string[];
}

const WRAPPERS = new Set(['default', 'nullable', 'optional', 'prefault', 'readonly']);

/** The schema under default/nullable/optional wrappers, and whether null is allowed. */
export function unwrap(schema: unknown): { inner: SchemaLike; nullable: boolean } {
  let inner = schema as SchemaLike;
  let nullable = false;
  while (WRAPPERS.has(inner._zod.def.type) && inner._zod.def.innerType) {
    if (inner._zod.def.type === 'nullable') nullable = true;
    inner = inner._zod.def.innerType;
  }
  return { inner, nullable };
}

export interface NumberRange {
  /** In stored units (fractions, bytes, seconds, tokens). */
  min: number | null;
  max: number | null;
  integer: boolean;
}

/** The min/max/integer of a number field, read from the schema. */
export function numberRange(schema: unknown): NumberRange {
  const { inner } = unwrap(schema);
  if (inner._zod.def.type !== 'number') throw new Error(`not a number schema: ${inner._zod.def.type}`);
  const finite = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
  return { min: finite(inner.minValue), max: finite(inner.maxValue), integer: inner.isInt === true };
}

export type FieldKind = 'percent-per-tier' | 'number' | 'enum' | 'model' | 'text' | 'boolean' | 'readonly';

export interface FieldMeta {
  key: SettingKey;
  label: string;
  help: string;
  kind: FieldKind;
  /** What the input is in ("%", "s", "GiB", "tokens"); empty when unitless. */
  unit: string;
  /** Stored value × scale = shown value (0.8 → 80 %, bytes → GiB). */
  scale: number;
  /** Shown-unit range, from the schema. */
  min: number | null;
  max: number | null;
  step: number | 'any';
  integer: boolean;
  /** Null allowed: an empty input means "none"/"automatic"/"all". */
  nullable: boolean;
  /** What empty means, when nullable ("all of it", "automatic"). */
  emptyLabel?: string;
  options?: readonly string[];
  default: AppSettings[SettingKey];
  /** Section on the page. */
  group: 'Scaling' | 'Models' | 'Replies' | 'Behaviour' | 'Remembered by Mai';
  /** A change is saved at once but takes effect only when Mai starts again (read once at start). */
  appliesAtNextStart: boolean;
}

interface Words {
  label: string;
  help: string;
  unit?: string;
  scale?: number;
  kind?: FieldKind;
  emptyLabel?: string;
  group: FieldMeta['group'];
  appliesAtNextStart?: boolean;
}

const GiB = 2 ** 30;

/** Every field's words. A key missing here fails the unit test, so new settings get a label. */
export const FIELD_WORDS: Record<SettingKey, Words> = {
  actThresholds: {
    label: 'Act threshold per tier',
    help: 'Memory in use at which Mai moves to a smaller model. Empty uses the tier’s own default (70–85 %).',
    unit: '%',
    scale: 100,
    kind: 'percent-per-tier',
    emptyLabel: 'tier default',
    group: 'Scaling',
  },
  stabilizationSeconds: {
    label: 'Stabilization period',
    help: 'How long resources must stay good before Mai moves back up to a bigger model.',
    unit: 's',
    group: 'Scaling',
  },
  preference: {
    label: 'Prefer',
    help: 'Speed acts earlier and starts smaller; quality holds bigger models longer.',
    kind: 'enum',
    group: 'Scaling',
  },
  cascade: {
    label: 'Cheaper steps before a smaller model',
    help: 'Before moving to a smaller model, Mai first keeps its working memory at lower precision, then remembers less of the conversation, then moves GPU layers to the CPU — and undoes these when memory frees up.',
    group: 'Scaling',
  },
  memoryBudgetBytes: {
    label: 'Memory budget',
    help: 'Treat the machine as having at most this much memory.',
    unit: 'GiB',
    scale: 1 / GiB,
    emptyLabel: 'all of it',
    group: 'Scaling',
  },
  qualityFloorPath: {
    label: 'Quality floor',
    help: 'Never go below this model: smaller ones are left off the ladder.',
    kind: 'model',
    emptyLabel: 'No floor',
    group: 'Models',
  },
  pinnedModelPath: {
    label: 'Pinned model',
    help: 'Stay on one model (emergencies excepted) instead of scaling automatically.',
    kind: 'model',
    emptyLabel: 'Automatic',
    group: 'Models',
  },
  modelsDir: {
    label: 'Models folder',
    help: 'Folder scanned for GGUF models. MAI_MODELS_DIR or --models-dir override it.',
    kind: 'text',
    emptyLabel: 'the “models” folder in Mai’s data folder',
    group: 'Models',
    // Main resolves the folder once when it starts (electron/main/web/models-folder.ts).
    appliesAtNextStart: true,
  },
  contextSize: {
    label: 'Context size',
    help: 'How much of the conversation every model can see at once.',
    unit: 'tokens',
    group: 'Replies',
  },
  maxReplyTokens: {
    label: 'Longest reply',
    help: 'Replies stop after this many tokens.',
    unit: 'tokens',
    group: 'Replies',
  },
  silentSwitching: {
    label: 'Switch models silently',
    help: 'No in-app notice when the model changes; the notification centre still lists it.',
    group: 'Behaviour',
  },
  notifyUpgrades: {
    label: 'Announce upgrades',
    help: 'Also show a system notification when Mai moves back up to a bigger model (steps down always are announced).',
    group: 'Behaviour',
  },
  closeToTray: {
    label: 'Close to tray',
    help: 'Closing the window keeps Mai running in the tray. Where the desktop shows no tray icons (GNOME without the AppIndicator extension), the window is minimised instead.',
    group: 'Behaviour',
  },
  lastModelPath: {
    label: 'Last model',
    help: 'The model in use when Mai last ran; it starts with it again.',
    kind: 'readonly',
    group: 'Remembered by Mai',
  },
  importedModelPaths: {
    label: 'Models opened from elsewhere',
    help: 'GGUF files opened from outside the models folder.',
    kind: 'readonly',
    group: 'Remembered by Mai',
  },
  modelUsage: {
    label: 'Model use',
    help: 'When each model was last loaded.',
    kind: 'readonly',
    group: 'Remembered by Mai',
  },
  firstModelCardDismissed: {
    label: 'First-model card closed',
    help: "You closed the chat's card that offers a first real model; the Models page still lists it.",
    group: 'Remembered by Mai',
  },
  crashedModelPaths: {
    label: 'Models that crashed',
    help: 'Models that crashed the engine while loading are never loaded automatically again.',
    kind: 'readonly',
    group: 'Remembered by Mai',
  },
  remotePolicy: {
    label: 'Remote engines policy',
    help: 'Where models on other machines go on the ladder; "local only" sends nothing anywhere.',
    kind: 'readonly',
    group: 'Remembered by Mai',
  },
  remoteEngines: {
    label: 'Remote engines',
    help: 'Servers on other machines and the models chosen from them.',
    kind: 'readonly',
    group: 'Remembered by Mai',
  },
};

const roundShown = (value: number) => Number(value.toPrecision(10));

/** Words for a field this page does not know yet (a newer schema): shown read-only, never a crash. */
function fallbackWords(key: string): Words {
  const label = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return { label: label.charAt(0).toUpperCase() + label.slice(1), help: '', kind: 'readonly', group: 'Remembered by Mai' };
}

/** Metadata of one field: the words above plus range, default and options from the schema. */
export function fieldMeta(key: SettingKey): FieldMeta {
  const schema = appSettingsSchema.shape[key];
  const words = (FIELD_WORDS as Partial<Record<string, Words>>)[key] ?? fallbackWords(key);
  const { inner, nullable } = schema ? unwrap(schema) : { inner: null, nullable: true };
  const type = inner?._zod.def.type ?? 'unknown';
  const scale = words.scale ?? 1;
  const base = {
    key,
    label: words.label,
    help: words.help,
    unit: words.unit ?? '',
    scale,
    nullable,
    default: defaultAppSettings[key],
    group: words.group,
    appliesAtNextStart: words.appliesAtNextStart === true,
    ...(words.emptyLabel !== undefined ? { emptyLabel: words.emptyLabel } : {}),
  };
  if (words.kind === 'readonly' || !inner) return { ...base, kind: 'readonly', min: null, max: null, step: 'any', integer: false };
  if (type === 'record' && key === 'actThresholds') {
    const value = inner._zod.def.valueType;
    const range = numberRange(value);
    return {
      ...base,
      kind: 'percent-per-tier',
      min: range.min === null ? null : roundShown(range.min * scale),
      max: range.max === null ? null : roundShown(range.max * scale),
      step: 1,
      integer: false,
      options: inner._zod.def.keyType?.options ?? tierIds,
    };
  }
  if (type === 'number') {
    const range = numberRange(schema);
    return {
      ...base,
      kind: 'number',
      min: range.min === null ? null : roundShown(range.min * scale),
      max: range.max === null ? null : roundShown(range.max * scale),
      step: range.integer && scale === 1 ? 1 : 'any',
      integer: range.integer,
    };
  }
  if (type === 'enum') return { ...base, kind: 'enum', min: null, max: null, step: 'any', integer: false, options: inner.options ?? [] };
  if (type === 'boolean') return { ...base, kind: 'boolean', min: null, max: null, step: 'any', integer: false };
  if (type === 'string') return { ...base, kind: words.kind ?? 'text', min: null, max: inner.maxLength ?? null, step: 'any', integer: false };
  return { ...base, kind: 'readonly', min: null, max: null, step: 'any', integer: false };
}

/** Every field of AppSettings, in the schema's order. */
export function allFields(): FieldMeta[] {
  return (Object.keys(appSettingsSchema.shape) as SettingKey[]).map(fieldMeta);
}

/** "512–131072 tokens", "30–99 %", "0.25–1024 GiB". */
export function rangeText(meta: FieldMeta): string {
  if ((meta.kind !== 'number' && meta.kind !== 'percent-per-tier') || (meta.min === null && meta.max === null)) return '';
  const unit = meta.unit ? (meta.unit === '%' ? ' %' : ` ${meta.unit}`) : '';
  const fmt = (v: number | null) => (v === null ? '…' : String(Number(v.toFixed(4))));
  return `${fmt(meta.min)}–${fmt(meta.max)}${unit}`;
}

/**
 * What an act threshold left empty means, as a number where one is known. Only the machine's own
 * tier has a known figure (the threshold the scaler reports using, when the user set none for that
 * tier); the other tiers' defaults live in the engine's tier table and do not reach the window.
 */
export interface TierDefaults {
  /** The machine's tier id. */
  tierId: string;
  /** The threshold in use for it now, fraction 0–1 (its default, adjusted by the speed/quality preference). */
  inUse: number;
}

/** The default of the per-tier thresholds: the figure for this machine's tier when known, and the span of the tiers' own. */
export function tierDefaultText(meta: FieldMeta, current: TierDefaults | null, overridden: boolean): string {
  const span = 'each tier’s own, 70–85 %';
  if (!current || overridden) return span;
  return `${Math.round(current.inUse * meta.scale)} % on this machine (${current.tierId}); ${span}`;
}

/** The default as the page shows it. */
export function defaultText(meta: FieldMeta, modelName: (path: string) => string = (p) => p): string {
  const value = meta.default;
  if (meta.kind === 'percent-per-tier') return tierDefaultText(meta, null, false);
  if (value === null) return meta.emptyLabel ?? 'none';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return `${Number((value * meta.scale).toFixed(4))}${meta.unit ? (meta.unit === '%' ? ' %' : ` ${meta.unit}`) : ''}`;
  if (typeof value === 'string') return meta.kind === 'model' ? modelName(value) : value;
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'none' : `${Object.keys(value).length} entries`;
  return '';
}

/**
 * What the user typed, in the shown unit, to the value to send: a number in stored units, null for
 * an empty nullable field, or the text itself when it is not a number (main then refuses it with
 * its sentence naming the field and range).
 */
export function parseShown(meta: FieldMeta, text: string): number | string | null {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return meta.nullable ? null : trimmed;
  const shown = Number(trimmed);
  if (!Number.isFinite(shown)) return text.trim();
  const stored = shown / meta.scale;
  // Whole stored units where the schema wants them (bytes from GiB, tokens).
  return meta.integer || meta.unit === 'GiB' ? Math.round(stored) : Number(stored.toPrecision(12));
}

/** A stored number as the input shows it. */
export function toShown(meta: FieldMeta, value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(Number((value * meta.scale).toFixed(meta.unit === 'GiB' ? 2 : 4)));
}
