// solc-js standard-JSON gateway: reads the compiler input on stdin, writes the output on stdout.
// Runs the solc pinned in package.json (a native solc cannot be downloaded here).
const path = require("path");
const solc = require(path.resolve(__dirname, "..", "node_modules", "solc"));
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify({ version: solc.version(), output: JSON.parse(solc.compile(input)) }));
});
