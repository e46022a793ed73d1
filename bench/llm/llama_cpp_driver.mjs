// llama.cpp's side of bench/llm: node-llama-cpp 3.21.1's prebuilt library (it picks its CPU
// variant at run time), CPU only, 2 threads, greedy. Prints one line per event on stdout, so the
// bench timestamps them the same way it timestamps `tl run`'s output:
//   {"event":"loaded","ms":...}   {"event":"prompt","tokens":N}
//   {"event":"token","i":k}  (one per generated token, flushed as it comes)
//   {"event":"done","prefill_ms":...,"decode_ms":...,"generated":n,"variant":...}
// usage: node llama_cpp_driver.mjs NPM_PREFIX MODEL.gguf PROMPT N (NPM_PREFIX/node_modules/node-llama-cpp)
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, modelPath, prompt, nText] = process.argv.slice(2);
const n = Number(nText);
const require = createRequire(path.join(prefix, "package.json"));
const entry = require.resolve("node-llama-cpp");
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);

const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const t0 = performance.now();
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ threads: 2, contextSize: 512, batchSize: 512 });
say({ event: "loaded", ms: performance.now() - t0 });
const sequence = context.getSequence();
const tokens = model.tokenize(prompt, true);
say({ event: "prompt", tokens: tokens.length });
const tStart = performance.now();
let tFirst = 0;
let generated = 0;
for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
  if (generated === 0) tFirst = performance.now();
  say({ event: "token", i: generated, id: token });
  if (++generated >= n) break;
}
const tEnd = performance.now();
say({
  event: "done",
  prefill_ms: tFirst - tStart,
  decode_ms: tEnd - tFirst,
  generated,
  cpu: llama.cpuMathCores ?? null,
});
await context.dispose();
await model.dispose();
await llama.dispose();
