// Persistent Groth16 prover: loads one circuit's wasm and proving key into memory once, then
// answers one JSON request per stdin line with one JSON reply per stdout line.
//   argv: WASM ZKEY
//   request: {"input": {...snarkjs input signals...}}
//   reply:   {"ok": true, "proof": {...}, "public": [...], "ms": 1234}
//         or {"ok": false, "error": "first line of the error"}
// A worker of `zksolvency epoch prove` keeps one of these per worker so that node start-up, the
// BN254 curve build and reading the proving key are paid once per worker, not once per account.
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const snarkjs = require(path.resolve(__dirname, "..", "node_modules", "snarkjs", "build", "main.cjs"));

const [wasmPath, zkeyPath] = process.argv.slice(2);
const wasm = { type: "mem", data: new Uint8Array(fs.readFileSync(wasmPath)) };
const zkey = { type: "mem", data: new Uint8Array(fs.readFileSync(zkeyPath)) };

(async () => {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply;
    try {
      const req = JSON.parse(line);
      const t = Date.now();
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(req.input, wasm, zkey);
      reply = { ok: true, proof, public: publicSignals, ms: Date.now() - t };
    } catch (e) {
      reply = { ok: false, error: String((e && e.message) || e).split("\n")[0] };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
  // snarkjs keeps worker threads for the curve alive; end them with the read loop.
  process.exit(0);
})();
