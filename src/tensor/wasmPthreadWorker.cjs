// The pthread worker tfjs-backend-wasm's threaded build runs in Node (started by nodeWasmThreads.ts).
//
// tfjs gives each pthread the stock Emscripten worker script as a Blob URL, and that script loads the module's
// JavaScript from a second Blob. Node's worker_threads can start neither, so this file stands in for the first:
// it runs the package's own worker script (wasm-out/*.worker.js, which already speaks worker_threads in Node),
// then answers its one `importScripts` with the package's own copy of the threaded module, read from disk.
// Both files come from the same build as the .wasm binary and the main thread's copy of the module.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
const moduleScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');

// The module script declares its factory with a top-level `var` and reaches for `require` in Node: run at
// global scope (indirect eval), it needs `require` there too.
globalThis.require = require;
// The export is a template literal, so the script's "\n" escapes arrive as newlines; tfjs puts them back
// the same way before it makes its Blob.
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);
globalThis.importScripts = () => (0, eval)(fs.readFileSync(moduleScript, 'utf8'));
