// The checkpoints shipped in the repository's models/ folder, served by Vite straight from there (hashed into
// dist/assets at build time), so no binary is copied into the repo twice. A "set" is one folder:
// 'mnist' or 'toy/moons', each with teacher.safetensors and student-N.safetensors. Other files there (the MNIST
// classifier and its reference statistics) are the quality figure's, not models to compare: see METRIC_FILES.
const urls = import.meta.glob('/models/**/*.safetensors', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

/** The file stems of diffusion checkpoints: a set's teacher and its students. */
const MODEL_STEM = /^(teacher|student-\d+)$/;

export interface ShippedFile {
  /** '<set>/<stem>', e.g. 'mnist/student-4'. */
  key: string;
  set: string;
  /** 'teacher' or 'student-4': the name a link uses for a column's model. */
  stem: string;
  url: string;
}

export const SHIPPED: ShippedFile[] = Object.entries(urls)
  .map(([path, url]) => {
    const rel = path.replace(/^\/models\//, '').replace(/\.safetensors$/, '');
    const cut = rel.lastIndexOf('/');
    return { key: rel, set: cut < 0 ? '' : rel.slice(0, cut), stem: rel.slice(cut + 1), url };
  })
  .filter((f) => MODEL_STEM.test(f.stem))
  .sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));

/** The MNIST classifier and the test set's feature statistics it made: FID/KID of generated digits. */
export const METRIC_FILES = {
  classifier: urls['/models/mnist/classifier.safetensors'] as string | undefined,
  reference: urls['/models/mnist/reference-stats.safetensors'] as string | undefined,
};

/** The set the app shows in a mode: MNIST, or the toy folder of the chosen 2D data set. */
export function shippedSetFor(mode: 'mnist' | 'toy', toy: string): string {
  return mode === 'mnist' ? 'mnist' : `toy/${toy}`;
}

export function shippedFilesOf(set: string): ShippedFile[] {
  return SHIPPED.filter((f) => f.set === set);
}
