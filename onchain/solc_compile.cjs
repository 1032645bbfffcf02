// solc-js standard-JSON gateway: reads the compiler input on stdin, writes the output on stdout.
// Runs the solc pinned in package.json (a native solc cannot be downloaded here).
// Imports of npm packages (`@openzeppelin/contracts/...`) resolve inside node_modules only: the
// callback reads nothing outside it, so a source cannot pull in arbitrary files of the machine.
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
const modules = path.join(root, "node_modules");
const solc = require(path.join(modules, "solc"));

function findImports(importPath) {
  if (!importPath.startsWith("@openzeppelin/")) return { error: `not found: ${importPath}` };
  const file = path.resolve(modules, importPath);
  if (!file.startsWith(modules + path.sep)) return { error: `outside node_modules: ${importPath}` };
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (e) {
    return { error: `not found: ${importPath} (run \`make install\`)` };
  }
}

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const output = JSON.parse(solc.compile(input, { import: findImports }));
  process.stdout.write(JSON.stringify({ version: solc.version(), output }));
});
