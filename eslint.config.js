import tseslint from 'typescript-eslint';

// The layer order of ../shared/STYLE.md (README "Architecture"): a folder imports only from folders before it.
const layers = ['core', 'tensor', 'kernels', 'model', 'io', 'data', 'metrics', 'samplers', 'train', 'distill', 'worker', 'app', 'cli'];
// app and cli sit side by side: neither imports the other; app never touches tensors (it talks to the worker).
const extraForbidden = { app: ['tensor', 'kernels', 'model', 'samplers', 'train', 'distill', 'metrics'], cli: ['app', 'worker'] };

const layerRules = layers.map((layer, i) => {
  const below = layers.slice(i + 1).filter((l) => !(layer === 'cli' && l === 'cli'));
  const forbidden = [...new Set([...below, ...(extraForbidden[layer] ?? [])])].filter((l) => l !== layer);
  return {
    files: [`src/${layer}/**/*.{ts,tsx}`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...forbidden.map((l) => ({ group: [`**/${l}/*`, `**/${l}`], message: `layer '${layer}' may not import from '${l}' (see README, Architecture)` })),
          // The page never loads tfjs: not directly, nor through the one data module that makes tensors.
          ...(layer === 'app' ? [{ group: ['@tensorflow/*', '**/data/batchSource'], message: "the app never touches tensors: ask the worker (see README, Architecture)" }] : []),
        ],
      }],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'models/**', 'public/**', '.gpu/**'] },
  ...tseslint.configs.recommended,
  { rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }] } },
  // The wasm pthread worker is CommonJS on purpose: Node's worker_threads start it as a plain script.
  { files: ['src/**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  ...layerRules,
);
