// The shareable settings (see ../settings.ts); the URL hash mirrors them (../urlSync.ts).
import type { StateCreator } from 'zustand';
import { parseSettings, type SettingKey, type Settings } from '../settings';
import type { Store } from './index';

export interface SettingsSlice {
  settings: Settings;
  setSetting<K extends SettingKey>(key: K, value: Settings[K]): void;
  patchSettings(patch: Partial<Settings>): void;
}

export const createSettingsSlice: StateCreator<Store, [], [], SettingsSlice> = (set) => ({
  settings: parseSettings(typeof location === 'undefined' ? '' : location.hash),
  setSetting: (key, value) => set((s) => ({ settings: { ...s.settings, [key]: value } })),
  patchSettings: (patch) => set((s) => ({ settings: { ...s.settings, ...patch } })),
});
