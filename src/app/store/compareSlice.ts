// The side-by-side comparison's results: one entry per column of the latest sampling job.
import type { StateCreator } from 'zustand';
import type { ColumnSamples, ColumnSpec } from '../../worker/protocol';
import type { Store } from './index';

export interface ColumnView {
  spec: ColumnSpec;
  samples?: ColumnSamples;
  quality?: { value: number; metric: string };
}

export interface CompareSlice {
  compareJobId: string | null;
  columnViews: ColumnView[];
  beginCompare(jobId: string, specs: ColumnSpec[]): void;
  setColumnSamples(jobId: string, index: number, samples: ColumnSamples): void;
  setColumnQuality(jobId: string, index: number, value: number, metric: string): void;
}

export const createCompareSlice: StateCreator<Store, [], [], CompareSlice> = (set) => ({
  compareJobId: null,
  columnViews: [],
  beginCompare: (jobId, specs) => set({ compareJobId: jobId, columnViews: specs.map((spec) => ({ spec })) }),
  setColumnSamples: (jobId, index, samples) => set((s) => {
    if (s.compareJobId !== jobId || !s.columnViews[index]) return {};
    const columnViews = s.columnViews.slice();
    columnViews[index] = { ...columnViews[index], samples };
    return { columnViews };
  }),
  setColumnQuality: (jobId, index, value, metric) => set((s) => {
    if (s.compareJobId !== jobId || !s.columnViews[index]) return {};
    const columnViews = s.columnViews.slice();
    columnViews[index] = { ...columnViews[index], quality: { value, metric } };
    return { columnViews };
  }),
});
