// What the worker reported about tfjs: the backend in use, the adapter, and why WebGPU is not used if it is not.
import type { StateCreator } from 'zustand';
import type { BackendInfo } from '../../worker/protocol';
import type { Store } from './index';

export interface BackendSlice {
  backend: BackendInfo | null;
  /** Set when the GPU device was lost mid-session. */
  backendLostMessage: string | null;
  setBackend(info: BackendInfo, lostMessage?: string): void;
}

export const createBackendSlice: StateCreator<Store, [], [], BackendSlice> = (set) => ({
  backend: null,
  backendLostMessage: null,
  setBackend: (backend, lostMessage) => set({ backend, backendLostMessage: lostMessage ?? null }),
});
