// The shareable settings (see ../settings.ts); the URL hash mirrors them (../urlSync.ts).
import type { StateCreator } from 'zustand';
import { parseSettings, type ColumnRef, type SettingKey, type Settings } from '../settings';
import { shippedSetFor } from '../shipped';
import type { Store } from './index';

export interface SettingsSlice {
  settings: Settings;
  /** The columns last shown for each set (MNIST, each toy set), so a look at another set does not lose them. */
  columnsBySet: Record<string, ColumnRef[]>;
  setSetting<K extends SettingKey>(key: K, value: Settings[K]): void;
  /**
   * A patch that moves to another set (mode or toy set) with `cols: []` brings back that set's last columns,
   * if it had any (else [] lets the set's defaults in), and keeps the columns being left for when it comes back.
   */
  patchSettings(patch: Partial<Settings>): void;
}

export const createSettingsSlice: StateCreator<Store, [], [], SettingsSlice> = (set) => ({
  settings: parseSettings(typeof location === 'undefined' ? '' : location.hash),
  columnsBySet: {},
  setSetting: (key, value) => set((s) => ({ settings: { ...s.settings, [key]: value } })),
  patchSettings: (patch) => set((s) => {
    const next = { ...s.settings, ...patch };
    const [from, to] = [shippedSetFor(s.settings.mode, s.settings.toy), shippedSetFor(next.mode, next.toy)];
    // Another set has other models: its distillation teacher is its default until one is picked there.
    if (from !== to && patch.teacher === undefined) next.teacher = '';
    if (from === to || patch.cols === undefined || patch.cols.length > 0) return { settings: next };
    const columnsBySet = { ...s.columnsBySet, [from]: s.settings.cols };
    return { settings: { ...next, cols: columnsBySet[to] ?? [] }, columnsBySet };
  }),
});
