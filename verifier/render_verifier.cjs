// Renders snarkjs's own Groth16 Solidity template with a verification key, the way
// `snarkjs zkey export solidityverifier` does (src/zkey_export_solidityverifier.js:
// ejs.render(template, verificationKey)), from the key alone: deploy regenerates the verifier
// it compiles instead of trusting a .sol file that sits beside the key.
// usage: node render_verifier.cjs VKEY_JSON   (run from the checkout; prints the Solidity source)
"use strict";
const fs = require("fs");
const path = require("path");
const ejs = require(path.join(process.cwd(), "node_modules", "ejs"));
const template = fs.readFileSync(
  path.join(process.cwd(), "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"),
  "utf8",
);
const vk = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// options given explicitly (none): with two arguments ejs would take options such as `delimiter`
// or `client` from the key's own top-level fields
process.stdout.write(ejs.render(template, vk, {}));
