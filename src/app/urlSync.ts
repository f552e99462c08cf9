// Keeps the URL hash and the store's settings in step: the table in ./settings.ts is the only format.
import { formatSettings, parseSettings } from './settings';
import { useStore } from './store';
import type { BackendPreference } from '../worker/protocol';

export function syncSettingsWithUrl(): () => void {
  const write = () => {
    const hash = formatSettings(useStore.getState().settings);
    if (hash !== location.hash && !(hash === '' && location.hash === '')) {
      history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
    }
  };
  const read = () => useStore.getState().patchSettings(parseSettings(location.hash));
  const unsubscribe = useStore.subscribe((s, prev) => {
    if (s.settings !== prev.settings) write();
  });
  window.addEventListener('hashchange', read);
  write();
  return () => {
    unsubscribe();
    window.removeEventListener('hashchange', read);
  };
}

/** The page's link without `?backend=` (a forced backend is the sender's choice, not part of the view). */
export function shareableLink(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('backend');
  return url.toString();
}

const BACKENDS: BackendPreference[] = ['auto', 'webgpu', 'wasm', 'cpu'];

/** `?backend=wasm` forces a backend (to see the fallback, or to time one against another); not a shared setting. */
export function backendFromQuery(): BackendPreference {
  const b = new URLSearchParams(location.search).get('backend');
  return BACKENDS.includes(b as BackendPreference) ? (b as BackendPreference) : 'auto';
}
