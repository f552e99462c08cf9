// The loaded checkpoints (descriptions only: the weights live in the worker) and the files that failed to load.
import type { StateCreator } from 'zustand';
import type { ModelInfo } from '../../worker/protocol';
import type { Store } from './index';

export interface LoadError {
  id: string;
  name: string;
  message: string;
}

export interface ModelsSlice {
  models: ModelInfo[];
  loadErrors: LoadError[];
  /** requestId → file name of loads in flight. */
  pendingLoads: Record<string, string>;
  startLoad(requestId: string, name: string): void;
  addModel(requestId: string, model: ModelInfo): void;
  failLoad(requestId: string, name: string, message: string): void;
  dismissLoadError(id: string): void;
  /** The MNIST quality figure's classifier: null until the worker answers. */
  imageMetric: { ready: boolean; message: string } | null;
  setImageMetric(ready: boolean, message: string): void;
}

function withoutKey(record: Record<string, string>, key: string): Record<string, string> {
  const out = { ...record };
  delete out[key];
  return out;
}

export const createModelsSlice: StateCreator<Store, [], [], ModelsSlice> = (set) => ({
  models: [],
  loadErrors: [],
  pendingLoads: {},
  startLoad: (requestId, name) => set((s) => ({ pendingLoads: { ...s.pendingLoads, [requestId]: name } })),
  addModel: (requestId, model) => set((s) => {
    const pendingLoads = withoutKey(s.pendingLoads, requestId);
    // The same bytes loaded twice (dropped again, or a shipped file dropped) are listed once.
    const models = s.models.some((m) => m.hash === model.hash && m.source === model.source) ? s.models : [...s.models, model];
    return { models, pendingLoads };
  }),
  failLoad: (requestId, name, message) => set((s) => {
    const pendingLoads = withoutKey(s.pendingLoads, requestId);
    return { pendingLoads, loadErrors: [...s.loadErrors, { id: requestId, name, message }] };
  }),
  imageMetric: null,
  setImageMetric: (ready, message) => set({ imageMetric: { ready, message } }),
  dismissLoadError: (id) => set((s) => ({ loadErrors: s.loadErrors.filter((e) => e.id !== id) })),
});
