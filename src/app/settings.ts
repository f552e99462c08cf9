// Every setting a teacher may want to share, in one declarative table that round-trips through the URL hash
// (as TensorFlow Playground's state.ts does): a link reproduces the same mode, models, step counts, seed and grids.
// Each entry says how to parse its text (rejecting anything malformed, which then falls back to the default),
// how to write it back, and why its default is what it is.
import { MAX_SEED } from '../core/rng';
import { TOY_DATASETS, type ToyDatasetName } from '../data/toy2d';
import { SHIPPED } from './shipped';

interface Setting<T> {
  default: T;
  /** undefined for text that does not parse: the default is used instead. */
  parse(raw: string): T | undefined;
  format(value: T): string;
  /** Written to the URL even at its default, because the default itself depends on the build (see `mode`). */
  alwaysInUrl?: boolean;
}

/** A comparison column as a link holds it: which model (see `ModelRef`) and how many DDIM steps. */
export interface ColumnRef {
  /**
   * A shipped model by its file stem within the current set ('teacher', 'student-4'),
   * or any loaded model by content hash prefix ('h:1a2b3c4d'), which resolves only if that file is loaded again.
   */
  model: string;
  steps: number;
}

export const MODES = ['mnist', 'toy'] as const;
export type Mode = (typeof MODES)[number];
export const VIEWS = ['compare', 'distill'] as const;
export type View = (typeof VIEWS)[number];

function enumSetting<T extends string>(values: readonly T[], fallback: T): Setting<T> {
  return {
    default: fallback,
    parse: (raw) => (values as readonly string[]).includes(raw) ? raw as T : undefined,
    format: (v) => v,
  };
}

function intSetting(min: number, max: number, fallback: number): Setting<number> {
  return {
    default: fallback,
    parse: (raw) => {
      if (!/^\d+$/.test(raw)) return undefined;
      const n = Number(raw);
      return n >= min && n <= max ? n : undefined;
    },
    format: (v) => String(v),
  };
}

function numberSetting(min: number, max: number, fallback: number): Setting<number> {
  return {
    default: fallback,
    parse: (raw) => {
      const n = Number(raw);
      return raw !== '' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
    },
    format: (v) => String(v),
  };
}

/** A number setting that takes only the values its menu offers: a link can then never show one thing and run another. */
function choiceSetting(values: readonly number[], fallback: number): Setting<number> {
  return {
    default: fallback,
    parse: (raw) => (/^\d+$/.test(raw) && values.includes(Number(raw)) ? Number(raw) : undefined),
    format: (v) => String(v),
  };
}

export const MIN_COLUMNS = 2;
export const MAX_COLUMNS = 4;
export const MAX_STEPS = 1024;
/** The step counts the menus offer: the powers of two a chain of halvings runs through. */
export const STEP_CHOICES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] as const;
/** Batch sizes of the comparison: square numbers, so that images fill a square grid. */
export const BATCH_CHOICES = [1, 4, 9, 16, 25, 36, 64] as const;
const isStepChoice = (n: number) => (STEP_CHOICES as readonly number[]).includes(n);

/** How a link names a model: a shipped file's stem ('student-4') or 'h:' and a hash prefix. */
const MODEL_NAME = '[a-z0-9:_-]{1,40}';

/** 'teacher@256,student-1@1'; an empty list means "the defaults of the shipped set". */
const columnsSetting: Setting<ColumnRef[]> = {
  default: [],
  parse: (raw) => {
    if (raw === '') return [];
    const cols: ColumnRef[] = [];
    for (const part of raw.split(',')) {
      const m = new RegExp(`^(${MODEL_NAME})@(\\d{1,4})$`, 'i').exec(part);
      if (!m) return undefined;
      const steps = Number(m[2]);
      if (!isStepChoice(steps)) return undefined;
      cols.push({ model: m[1], steps });
    }
    return cols.length >= MIN_COLUMNS && cols.length <= MAX_COLUMNS ? cols : undefined;
  },
  format: (cols) => cols.map((c) => `${c.model}@${c.steps}`).join(','),
};

/** A model as a link names it (see ColumnRef.model), or '' for none. */
const modelNameSetting: Setting<string> = {
  default: '',
  parse: (raw) => (raw === '' || new RegExp(`^${MODEL_NAME}$`, 'i').test(raw) ? raw : undefined),
  format: (v) => v,
};

const shippedSets = new Set(SHIPPED.map((f) => f.set));
/** The first toy set with shipped models, so the 2D mode opens on something already trained. */
const firstShippedToy = TOY_DATASETS.find((n) => shippedSets.has(`toy/${n}`));

export const SETTINGS = {
  /** MNIST when its models are shipped (the digits are what the paper shows), else the 2D toy mode, which can train its own. */
  mode: { ...enumSetting(MODES, shippedSets.has('mnist') ? 'mnist' : 'toy'), alwaysInUrl: true },
  view: enumSetting(VIEWS, 'compare'),
  /** The toy set of the 2D mode: a shipped one, else moons, whose two arcs show clearly what one step blurs. */
  toy: enumSetting<ToyDatasetName>(TOY_DATASETS, firstShippedToy ?? 'moons'),
  cols: columnsSetting,
  /** Seed of the shared noise z₁: every column starts from the same noise. */
  seed: intSetting(0, MAX_SEED, 1),
  /**
   * η of generalized DDIM (Song et al. 2021) for every column: 0, the paper's deterministic sampler, by default;
   * 1 adds at each step fresh noise of the ancestral sampler's size (each sample's from its own seeded stream, so
   * columns share it as far as their steps go).
   */
  eta: numberSetting(0, 1, 0),
  /** 16 images fill a 4×4 grid and keep a 256-step teacher column quick on a laptop GPU. */
  batch: choiceSetting(BATCH_CHOICES, 16),
  /**
   * Distillation's teacher, named as a column's model is ('student-4', 'h:1a2b3c4d'); empty for the default (a
   * teacher trained here, else the shipped one). Cleared on a move to another set, whose models differ.
   */
  teacher: modelNameSetting,
  /** Distillation: halve from this many steps (the teacher's DDIM grid of round 1)... */
  from: choiceSetting(STEP_CHOICES.filter((n) => n >= 2), 8),
  /** ...down to this many. */
  to: choiceSetting(STEP_CHOICES.filter((n) => n <= MAX_STEPS / 2), 1),
  /** Iterations per round: enough for a toy MLP to follow its teacher in a few seconds. */
  iters: intSetting(1, 100_000, 300),
  /** Batch size of distillation; small so that a round stays interactive on integrated GPUs. */
  dbatch: intSetting(1, 1024, 64),
  /** Adam learning rate: the paper uses 1e-4 at batch 2048 for images; tiny toy MLPs tolerate more. */
  lr: numberSetting(1e-6, 1, 1e-3),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { [K in SettingKey]: (typeof SETTINGS)[K]['default'] };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function defaultSettings(): Settings {
  const out = {} as Record<SettingKey, unknown>;
  for (const k of SETTING_KEYS) out[k] = SETTINGS[k].default;
  return out as Settings;
}

/** Reads '#mode=toy&seed=3&cols=teacher@64' (with or without the '#'); unknown keys and bad values are ignored. */
export function parseSettings(hash: string): Settings {
  const out = defaultSettings() as Record<SettingKey, unknown>;
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  for (const k of SETTING_KEYS) {
    const raw = params.get(k);
    if (raw === null) continue;
    const v = (SETTINGS[k] as Setting<unknown>).parse(raw);
    if (v !== undefined) out[k] = v;
  }
  return out as Settings;
}

/** Only values that differ from the defaults are written (and `alwaysInUrl` ones), so a link stays short. */
export function formatSettings(s: Settings): string {
  const parts: string[] = [];
  for (const k of SETTING_KEYS) {
    const setting = SETTINGS[k] as Setting<unknown>;
    const text = setting.format(s[k]);
    if (!setting.alwaysInUrl && text === setting.format(setting.default)) continue;
    parts.push(`${k}=${encodeURIComponent(text).replace(/%40/g, '@').replace(/%2C/g, ',').replace(/%3A/g, ':')}`);
  }
  return parts.length ? `#${parts.join('&')}` : '';
}
