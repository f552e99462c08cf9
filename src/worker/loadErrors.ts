// Why a file did not load, in words for the person who dropped it: what kind of problem it is and what to do,
// then the loader's own one-line reason (which names the byte, tensor or field) in brackets.
import { CheckpointError, CompatibilityError, SafetensorsError } from '../io/errors';

/** Container errors that mean "these bytes were never a safetensors file", as opposed to a damaged one. */
const NOT_SAFETENSORS = new Set(['too_small', 'header_too_large', 'header_utf8', 'header_json', 'header_not_object']);

function extensionOf(name: string): string | null {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return m ? m[1].toLowerCase() : null;
}

/** The first line of an error's message: what the worker sends the page for any failure. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** One line: the kind of problem, what to do about it, and the loader's detail. */
export function explainLoadError(e: unknown, fileName: string): string {
  const detail = errorLine(e);
  if (e instanceof SafetensorsError) {
    const ext = extensionOf(fileName);
    if (e.code === 'too_small' && /^file is 0 bytes/.test(detail)) return 'an empty file (0 bytes): it holds no checkpoint; copy or download it again';
    // A file named as something else (notes.md) is that, however its bytes happened to fail; one named as a
    // checkpoint (student-4.safetensors, or a download cut short: student-4.safetensors.crdownload) is damaged.
    const namedOther = ext !== null && !/\.safetensors/i.test(fileName);
    if (NOT_SAFETENSORS.has(e.code) || namedOther) {
      const what = ext && ext !== 'safetensors' ? `a .${ext} file, not a .safetensors checkpoint` : 'not a .safetensors checkpoint';
      return `${what}. Load a checkpoint written by halfstep train or distill, or by this page's download buttons (${detail})`;
    }
    if (e.code === 'unsupported_dtype') return `a safetensors file with a tensor type Halfstep does not read (it reads F32 and F16) (${detail})`;
    return `the file is damaged or incomplete (cut short, or changed after it was written): copy or download it again (${detail})`;
  }
  if (e instanceof CheckpointError) {
    if (e.code === 'weights') return `a Halfstep checkpoint whose weights do not match its own config, so it cannot be sampled (${detail})`;
    return `a safetensors file, but not a Halfstep checkpoint this version can read (${detail})`;
  }
  if (e instanceof CompatibilityError) {
    return `a student that does not fit the loaded teacher its lineage names, so it was not listed beside it (${detail})`;
  }
  return detail;
}
