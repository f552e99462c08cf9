// Why a file did not load, in words for the person who dropped it: what kind of problem it is and what to do,
// then the loader's own one-line reason (which names the byte, tensor or field) in brackets; for a text file,
// its first words instead.
import { errorLine } from '../core/errorLine';
import { CheckpointError, CompatibilityError, SafetensorsError } from '../io/errors';

/** Container errors that mean "these bytes were never a safetensors file", as opposed to a damaged one. */
const NOT_SAFETENSORS = new Set(['too_small', 'header_too_large', 'header_utf8', 'header_json', 'header_not_object']);

function extensionOf(name: string): string | null {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return m ? m[1].toLowerCase() : null;
}

/**
 * The start of `bytes` when they read as text (UTF-8, printable, at least 8 characters), else null. A
 * checkpoint starts with an 8-byte little-endian header length, whose high bytes are zeros: never text.
 */
export function textStart(bytes: Uint8Array, length = 40): string | null {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text: string | null = null;
  // The first 256 bytes, less up to 3 where they cut a character in two.
  const end = Math.min(bytes.length, 256);
  for (let n = end; n >= end - 3 && n >= 8 && text === null; n--) {
    try {
      text = decoder.decode(bytes.subarray(0, n));
    } catch {
      if (n === bytes.length) break; // the whole file, and not UTF-8
    }
  }
  if (text === null || /[\u0000-\u0008\u000E-\u001F\u007F]/.test(text)) return null;
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length < 8) return null;
  return line.length > length ? `${line.slice(0, length)}…` : line;
}

/**
 * One line: the kind of problem, what to do about it, and the loader's detail. With the file's `bytes`, a
 * text file given a checkpoint's name is called text and quoted, rather than explained by the header length
 * its first 8 characters make.
 */
export function explainLoadError(e: unknown, fileName: string, bytes?: Uint8Array): string {
  const detail = errorLine(e);
  if (e instanceof SafetensorsError) {
    const ext = extensionOf(fileName);
    if (e.code === 'too_small' && /^file is 0 bytes/.test(detail)) return 'an empty file (0 bytes): it holds no checkpoint; copy or download it again';
    // A file named as something else (notes.md) is that, however its bytes happened to fail; one named as a
    // checkpoint (student-4.safetensors, or a download cut short: student-4.safetensors.crdownload) is damaged.
    const namedOther = ext !== null && !/\.safetensors/i.test(fileName);
    if (NOT_SAFETENSORS.has(e.code) || namedOther) {
      // Text is quoted: the header length its first 8 characters make would say nothing to the reader.
      const text = bytes ? textStart(bytes) : null;
      const what = ext && ext !== 'safetensors' ? `a .${ext} file, not a .safetensors checkpoint` : text ? 'a text file, not a checkpoint' : 'not a .safetensors checkpoint';
      const load = 'Load a checkpoint written by halfstep train or distill, or by this page\'s download buttons';
      return text ? `${what}: it begins "${text}". ${load}` : `${what}. ${load} (${detail})`;
    }
    if (e.code === 'unsupported_dtype') return `a safetensors file with a tensor type Halfstep does not read (it reads F32, F16 and BF16) (${detail})`;
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
