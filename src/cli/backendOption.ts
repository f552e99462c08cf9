// The --backend option every compute subcommand takes, and the one place the CLI starts tfjs.
import { Option } from 'commander';
import { BACKEND_PREFERENCES, type BackendInfo, type BackendPreference, initBackend } from '../tensor/backend';

export const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend: webgpu (Dawn; needs a GPU, or SwiftShader via VK_ICD_FILENAMES), wasm, cpu, or auto')
    .choices([...BACKEND_PREFERENCES])
    .default('auto');

/** Starts the backend and says on stderr which one runs (and why not the preferred one). */
export async function startBackend(pref: BackendPreference, quiet = false): Promise<BackendInfo> {
  const info = await initBackend(pref);
  if (!quiet) {
    const adapter = info.adapter ? ` (${[info.adapter.vendor, info.adapter.architecture].filter(Boolean).join(' ')})` : '';
    process.stderr.write(`backend: ${info.name}${adapter}${pref !== 'auto' && info.fallbackReason ? ` — ${info.fallbackReason}` : ''}\n`);
  }
  return info;
}
