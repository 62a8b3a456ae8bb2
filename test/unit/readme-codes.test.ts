/*
 * The README's error-code table lists every code the tool can print: a code added to
 * src/errors.ts without documentation fails here.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const codes = [
  ...fs.readFileSync(path.join(root, "src/errors.ts"), "utf8").matchAll(/^\s+\| "([A-Z_]+)"$/gm),
].map((m) => m[1]!);
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const table = readme.slice(readme.indexOf("### Error codes"), readme.indexOf("### SQL text"));

describe("README error codes", () => {
  it("documents every ErrorCode in its table", () => {
    expect(codes.length).toBeGreaterThan(40);
    expect(codes.filter((c) => !table.includes(`\`${c}\``))).toEqual([]);
  });
});
