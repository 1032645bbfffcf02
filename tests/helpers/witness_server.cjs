// Persistent witness calculator for tests: one JSON request per stdin line, one JSON reply per line.
// Request: {"input": {...}, "indices": [1, 2], "wtns": "/path/out.wtns" (optional)}
// Reply:   {"ok": true, "values": ["1", ...]} or {"ok": false, "error": "first line of the error"}
// Uses circom's generated witness_calculator.js, so it runs the very wasm that snarkjs proves with.
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const wasmPath = process.argv[2];
const builder = require(path.resolve(path.dirname(wasmPath), "witness_calculator.js"));

(async () => {
  const calc = await builder(fs.readFileSync(wasmPath));
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply;
    try {
      const req = JSON.parse(line);
      const w = await calc.calculateWitness(req.input, true);
      reply = { ok: true, values: (req.indices || []).map((i) => w[i].toString()) };
      if (req.wtns) {
        fs.writeFileSync(req.wtns, await calc.calculateWTNSBin(req.input, true));
      }
    } catch (e) {
      reply = { ok: false, error: String((e && e.message) || e).split("\n")[0] };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
})();
