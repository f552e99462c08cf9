// The app's wording of why a dropped file did not load, on real bytes through the real loader.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/io/checkpoint';
import { serializeSafetensors } from '../../src/io/safetensors';
import { explainLoadError, textStart } from '../../src/worker/loadErrors';

const ROOT = join(import.meta.dirname, '../..');

function failure(bytes: Uint8Array): unknown {
  try {
    readCheckpoint(bytes);
  } catch (e) {
    return e;
  }
  throw new Error('the loader accepted the bytes');
}

describe('load error wording', () => {
  it('calls a picture or a text file what it is, and keeps the loader\'s detail', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const msg = explainLoadError(failure(png), 'digits.png');
    expect(msg).toMatch(/^a \.png file, not a \.safetensors checkpoint\. Load a checkpoint written by /);
    expect(msg).toMatch(/\(header length \d+ .*\)$/);
    expect(explainLoadError(failure(new TextEncoder().encode('{}')), 'teacher.safetensors')).toMatch(/^not a \.safetensors checkpoint\. Load a checkpoint written by .*too short/);
  });

  it('calls a text file text and quotes its start, whatever its name, rather than the header length it makes', () => {
    const notes = new TextEncoder().encode('Lecture 7: progressive distillation.\n\nBring the projector adapter, and the slides on DDIM.');
    const named = explainLoadError(failure(notes), 'teacher.safetensors', notes);
    expect(named).toBe('a text file, not a checkpoint: it begins "Lecture 7: progressive distillation. Bri…". Load a checkpoint written by halfstep train or distill, or by this page\'s download buttons');
    expect(explainLoadError(failure(notes), 'notes.md', notes)).toMatch(/^a \.md file, not a \.safetensors checkpoint: it begins "Lecture 7/);
    // Without the bytes (or with bytes that are not text) the loader's detail stays.
    expect(explainLoadError(failure(notes), 'teacher.safetensors')).toMatch(/^not a \.safetensors checkpoint\. .*\(header length \d+ exceeds/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expect(explainLoadError(failure(png), 'digits.safetensors', png)).toMatch(/^not a \.safetensors checkpoint\. .*\(header length/);
    // Text cut in the middle of a character at byte 256 is still text; a checkpoint's own bytes are not.
    const long = new TextEncoder().encode(`${'a'.repeat(255)}é and more`);
    expect(textStart(long)).toBe(`${'a'.repeat(40)}…`);
    expect(textStart(new Uint8Array(readFileSync(join(ROOT, 'models/toy/moons/teacher.safetensors'))))).toBeNull();
  });

  it('calls an empty file empty, and any other file by its extension however its bytes fail', () => {
    expect(explainLoadError(failure(new Uint8Array(0)), 'student-4.safetensors')).toMatch(/^an empty file \(0 bytes\): it holds no checkpoint/);
    // Its first 8 bytes read as a header length of 99,999,999: within the cap, past the end of the file.
    const notes = new Uint8Array(64);
    new DataView(notes.buffer).setBigUint64(0, 99_999_999n, true);
    expect(explainLoadError(failure(notes), 'notes.md')).toMatch(/^a \.md file, not a \.safetensors checkpoint\. Load a checkpoint written by .*\(header length 99999999 runs past the end/);
    expect(explainLoadError(failure(notes), 'teacher.safetensors')).toMatch(/^the file is damaged or incomplete/);
    // A browser's unfinished download keeps the checkpoint's name: damaged, fetch it again.
    expect(explainLoadError(failure(notes), 'student-4.safetensors.crdownload')).toMatch(/^the file is damaged or incomplete .*download it again/);
  });

  it('calls a cut-short checkpoint damaged, and says to fetch it again', () => {
    const teacher = new Uint8Array(readFileSync(join(ROOT, 'models/toy/moons/teacher.safetensors')));
    const msg = explainLoadError(failure(teacher.subarray(0, teacher.length - 1000)), 'teacher.safetensors');
    expect(msg).toMatch(/^the file is damaged or incomplete .*copy or download it again \(.*run past the end/);
  });

  it('says when a valid safetensors file holds a tensor type it does not read', () => {
    const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } }));
    const bytes = new Uint8Array(8 + header.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    expect(explainLoadError(failure(bytes), 'ints.safetensors')).toMatch(/^a safetensors file with a tensor type Halfstep does not read \(it reads F32, F16 and BF16\) \(.*I32/);
  });

  it('tells a safetensors file from elsewhere apart from a damaged one', () => {
    const other = serializeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]), { format: 'pt' });
    expect(explainLoadError(failure(other), 'model.safetensors')).toMatch(/^a safetensors file, but not a Halfstep checkpoint this version can read \(not a Halfstep checkpoint/);
  });
});
