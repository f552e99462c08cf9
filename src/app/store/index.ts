// The one zustand store, built from typed slices (zustand's slices pattern). It holds only plain data:
// numbers, strings and Float32Arrays the worker sent; never a tensor.
import { create } from 'zustand';
import { createBackendSlice, type BackendSlice } from './backendSlice';
import { createCompareSlice, type CompareSlice } from './compareSlice';
import { createDistillSlice, type DistillSlice } from './distillSlice';
import { createJobsSlice, type JobsSlice } from './jobsSlice';
import { createModelsSlice, type ModelsSlice } from './modelsSlice';
import { createSettingsSlice, type SettingsSlice } from './settingsSlice';
import { createToySlice, type ToySlice } from './toySlice';

export type Store = BackendSlice & ModelsSlice & CompareSlice & JobsSlice & DistillSlice & ToySlice & SettingsSlice;

export const useStore = create<Store>()((...a) => ({
  ...createBackendSlice(...a),
  ...createModelsSlice(...a),
  ...createCompareSlice(...a),
  ...createJobsSlice(...a),
  ...createDistillSlice(...a),
  ...createToySlice(...a),
  ...createSettingsSlice(...a),
}));
