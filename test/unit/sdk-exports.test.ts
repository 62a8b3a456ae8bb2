import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Our SDK must export every name moose-lib 0.6.533 exports (index, /testing,
 * /browserCompatible), with the same kind: a moose-lib value must be a value here (so
 * `new X()` / `f()` work), a moose-lib type must be a type here.
 */
const FIXTURE = path.resolve(__dirname, "../fixtures/moose-lib-exports.txt");
const SDK_ENTRY = path.resolve(__dirname, "../../src/sdk/index.ts");

type Kind = { value: boolean; type: boolean };

const mooseLibExports = (): Map<string, Kind> =>
  new Map(
    fs
      .readFileSync(FIXTURE, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l) => {
        const [name, kind] = l.split("\t") as [string, string];
        return [name, { value: kind.startsWith("value"), type: kind.endsWith("type") }];
      }),
  );

const ourExports = (): Map<string, Kind> => {
  const program = ts.createProgram([SDK_ENTRY], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    strict: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(SDK_ENTRY)!)!;
  const out = new Map<string, Kind>();
  for (const s of checker.getExportsOfModule(moduleSymbol)) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    // `export type { X }` of a value exports only its type.
    const typeOnly = s.declarations?.some(
      (d) =>
        (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) ||
        (ts.isTypeOnlyImportOrExportDeclaration(d) && !ts.isExportSpecifier(d)),
    );
    out.set(s.name, {
      value: !typeOnly && (target.flags & ts.SymbolFlags.Value) !== 0,
      type: (target.flags & ts.SymbolFlags.Type) !== 0,
    });
  }
  return out;
};

describe("SDK exports ⊇ moose-lib 0.6.533's", () => {
  const theirs = mooseLibExports();
  const ours = ourExports();

  it("the fixture lists all three entry points' names", () => {
    expect(theirs.size).toBeGreaterThan(280);
    for (const name of ["OlapTable", "sql", "percentile", "Key", "JWT", "getTables"])
      expect(theirs.has(name), name).toBe(true);
  });

  it("every moose-lib name is exported", () => {
    const missing = [...theirs.keys()].filter((n) => !ours.has(n));
    expect(missing, `missing from src/sdk/index.ts: ${missing.join(", ")}`).toEqual([]);
  });

  it("with the same kind (values as values, types as types)", () => {
    const mismatched = [...theirs.entries()]
      .filter(([n]) => ours.has(n))
      .filter(([n, k]) => (k.value && !ours.get(n)!.value) || (k.type && !ours.get(n)!.type))
      .map(([n, k]) => {
        const o = ours.get(n)!;
        const show = (x: Kind) => (x.value && x.type ? "value+type" : x.value ? "value" : "type");
        return `${n}: moose-lib ${show(k)}, ours ${show(o)}`;
      });
    expect(mismatched, mismatched.join("; ")).toEqual([]);
  });
});
