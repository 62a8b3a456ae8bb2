#!/usr/bin/env node
// Prints the exported names of an unpacked @514labs/moose-lib package (its index, /testing and
// /browserCompatible entry points) as `name<TAB>value|type|value+type`, the format of
// test/fixtures/moose-lib-exports.txt. A name exported by several entry points is listed once,
// with the union of its kinds.
//   node scripts/moose-lib-exports.cjs /path/to/package > test/fixtures/moose-lib-exports.txt
const path = require("node:path");
const ts = require("typescript");

const pkg = process.argv[2];
if (!pkg) {
  console.error("usage: moose-lib-exports.cjs <unpacked moose-lib package dir>");
  process.exit(2);
}
const version = require(path.join(path.resolve(pkg), "package.json")).version;
const entries = ["dist/index.d.ts", "dist/testing/index.d.ts", "dist/browserCompatible.d.ts"];
const kinds = new Map();
for (const entry of entries) {
  const file = path.join(path.resolve(pkg), entry);
  const program = ts.createProgram([file], { skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const k = kinds.get(exported.name) ?? { value: false, type: false };
    k.value ||= (target.flags & ts.SymbolFlags.Value) !== 0;
    k.type ||= (target.flags & ts.SymbolFlags.Type) !== 0;
    kinds.set(exported.name, k);
  }
}
const lines = [...kinds.entries()]
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  .map(([name, k]) => `${name}\t${k.value && k.type ? "value+type" : k.value ? "value" : "type"}`);
process.stdout.write(
  [
    `# Exported names of @514labs/moose-lib ${version}: the union of its entry points`,
    `# ${entries.join(", ")}, read with the TypeScript compiler API`,
    "# (checker.getExportsOfModule; value = SymbolFlags.Value, type = SymbolFlags.Type).",
    "# Produced by: node scripts/moose-lib-exports.cjs <unpacked moose-lib package dir>",
    "# Format: name<TAB>value|type|value+type",
    ...lines,
  ].join("\n") + "\n",
);
