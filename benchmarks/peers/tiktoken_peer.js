// tiktoken's "gpt2" encode on a file, as the peer of bench_text's BM_encode (benchmarks/tokenizer.py).
//   node benchmarks/peers/tiktoken_peer.js FILE wasm|js REPS
// wasm: npm's `tiktoken` (tiktoken's Rust core compiled to WebAssembly); js: `js-tiktoken` (pure
// JavaScript). Prints one JSON line: the ids' count, the best and median seconds of REPS encodes.
"use strict";
const fs = require("fs");
const [file, kind, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 5);
const text = fs.readFileSync(file, "utf8");
let encode;
if (kind === "wasm") {
  const enc = require("tiktoken").get_encoding("gpt2");
  encode = (t) => enc.encode(t, "all");
} else {
  const enc = require("js-tiktoken").getEncoding("gpt2");
  encode = (t) => enc.encode(t, "all");
}
encode(text.slice(0, 100000));  // warm up (the wasm module's first calls, the JIT)
const times = [];
let n = 0;
for (let r = 0; r < reps; r++) {
  const t0 = process.hrtime.bigint();
  n = encode(text).length;
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
// FNV-1a 64 of the ids (each id's 4 little-endian bytes), to compare the ids themselves with xgrad's
const ids = encode(text);
let h = 0xcbf29ce484222325n;
for (const id of ids) for (let k = 0; k < 4; k++) h = ((h ^ BigInt((id >>> (8 * k)) & 0xff)) * 0x100000001b3n) & 0xffffffffffffffffn;
console.log(JSON.stringify({ peer: kind === "wasm" ? "tiktoken (wasm)" : "js-tiktoken", ids: n, bytes: Buffer.byteLength(text),
  best: times[0], median: times[Math.floor(times.length / 2)], fnv1a64: h.toString(16).padStart(16, "0") }));
