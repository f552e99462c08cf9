// The loaded checkpoints (descriptions only: the weights live in the worker) and the files that failed to load.
import type { StateCreator } from 'zustand';
import type { ModelInfo } from '../../worker/protocol';
import type { Store } from './index';

export interface LoadError {
  id: string;
  name: string;
  message: string;
  /** The file had loaded, and was taken off the list afterwards (a student its teacher, loaded later, refuses). */
  unlisted?: boolean;
}

/**
 * Something to tell about a file that did load: it was already loaded (listed once), or it belongs to the
 * other mode or toy set than the one on screen (listed, but not in this view's menus).
 */
export interface LoadNotice {
  id: string;
  /** The file name as dropped. */
  name: string;
  kind: 'alreadyLoaded' | 'otherSet';
  modelId: string;
}

export interface ModelsSlice {
  models: ModelInfo[];
  loadErrors: LoadError[];
  loadNotices: LoadNotice[];
  /** Loads in flight by requestId: the file name, and whether it is the user's file (not the shipped set; only those get notices). */
  pendingLoads: Record<string, { name: string; byUser: boolean }>;
  startLoad(requestId: string, name: string, byUser?: boolean): void;
  addModel(requestId: string, model: ModelInfo, alreadyLoaded?: boolean): void;
  failLoad(requestId: string, name: string, message: string): void;
  unlistModel(modelId: string, name: string, message: string): void;
  dismissLoadError(id: string): void;
  dismissLoadNotice(id: string): void;
  dismissLoadMessages(): void;
  /** The MNIST quality figure's classifier: null until the worker answers. */
  imageMetric: { ready: boolean; message: string } | null;
  setImageMetric(ready: boolean, message: string): void;
}

function withoutKey<V>(record: Record<string, V>, key: string): Record<string, V> {
  const out = { ...record };
  delete out[key];
  return out;
}

export const createModelsSlice: StateCreator<Store, [], [], ModelsSlice> = (set) => ({
  models: [],
  loadErrors: [],
  loadNotices: [],
  pendingLoads: {},
  startLoad: (requestId, name, byUser = false) => set((s) => ({ pendingLoads: { ...s.pendingLoads, [requestId]: { name, byUser } } })),
  addModel: (requestId, model, alreadyLoaded = false) => set((s) => {
    const request = s.pendingLoads[requestId];
    const pendingLoads = withoutKey(s.pendingLoads, requestId);
    // The worker lists the same checkpoint once: a second load answers with the model already there (updated when
    // a shipped file turns out to be one the user dropped earlier).
    const at = s.models.findIndex((m) => m.id === model.id);
    const models = at >= 0 ? s.models.map((m, i) => (i === at ? model : m)) : [...s.models, model];
    const notices = [...s.loadNotices];
    if (request?.byUser) {
      const { name } = request;
      if (alreadyLoaded) notices.push({ id: requestId, name, kind: 'alreadyLoaded', modelId: model.id });
      else if (!inView(model, s.settings.mode, s.settings.toy)) notices.push({ id: requestId, name, kind: 'otherSet', modelId: model.id });
    }
    return { models, pendingLoads, loadNotices: notices };
  }),
  failLoad: (requestId, name, message) => set((s) => {
    const pendingLoads = withoutKey(s.pendingLoads, requestId);
    return { pendingLoads, loadErrors: [...s.loadErrors, { id: requestId, name, message }] };
  }),
  unlistModel: (modelId, name, message) => set((s) => ({
    models: s.models.filter((m) => m.id !== modelId),
    loadNotices: s.loadNotices.filter((n) => n.modelId !== modelId),
    loadErrors: [...s.loadErrors, { id: `unlisted-${modelId}`, name, message, unlisted: true }],
  })),
  imageMetric: null,
  setImageMetric: (ready, message) => set({ imageMetric: { ready, message } }),
  dismissLoadError: (id) => set((s) => ({ loadErrors: s.loadErrors.filter((e) => e.id !== id) })),
  dismissLoadNotice: (id) => set((s) => ({ loadNotices: s.loadNotices.filter((e) => e.id !== id) })),
  dismissLoadMessages: () => set({ loadErrors: [], loadNotices: [] }),
});

/** Whether a model belongs to the mode (and toy set) on screen: the rule of the column and teacher menus. */
export function inView(m: ModelInfo, mode: string, toy: string): boolean {
  return mode === 'mnist' ? m.dataKind === 'image' : m.dataKind === 'toy2d' && m.dataName === toy;
}
