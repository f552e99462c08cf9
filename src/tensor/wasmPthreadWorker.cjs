// The pthread worker tfjs-backend-wasm's threaded build runs in Node (started by nodeWasmThreads.ts).
//
// tfjs gives each pthread the stock Emscripten worker script as a Blob URL, and that script loads the module's
// JavaScript from a second Blob. Node's worker_threads can start neither, so this file stands in for the first:
// it runs the package's own worker script (wasm-out/*.worker.js, which already speaks worker_threads in Node),
// then answers its one `importScripts` with the package's own copy of the threaded module, read from disk.
// Both files come from the same build as the .wasm binary and the main thread's copy of the module.
//
// On the main thread, requiring this file only prepares: nodeWasmThreads.ts calls prepare() first, so a
// package whose files moved or changed fails there, where one thread can still start, and not in a worker,
// whose error Emscripten rethrows on the main thread.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');

/** The package's worker script, compiled (not run), and the path of its threaded module. Throws if either is missing. */
function prepare() {
  const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const moduleScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  if (!fs.existsSync(moduleScript)) throw new Error(`${moduleScript} is missing`);
  const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
  if (typeof wasmWorkerContents !== 'string') throw new Error('tfjs-backend-wasm no longer exports wasmWorkerContents');
  // The export is a template literal, so the script's "\n" escapes arrive as newlines; tfjs puts them back
  // the same way before it makes its Blob.
  const run = new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'));
  return { run, moduleScript };
}

if (isMainThread) {
  module.exports = { prepare };
} else {
  const { run, moduleScript } = prepare();
  // The module script declares its factory with a top-level `var` and reaches for `require` in Node: run at
  // global scope (indirect eval), it needs `require` there too.
  globalThis.require = require;
  run(require, __filename);
  globalThis.importScripts = () => (0, eval)(fs.readFileSync(moduleScript, 'utf8'));
}
