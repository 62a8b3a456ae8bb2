/*
 * The fast YAML reader and writer (core/yaml-fast.ts, core/yaml-emit.ts) must agree with the
 * `yaml` library they stand in for: the reader gives the same value for every captured file and
 * for anything the writer or `yaml` writes; the writer gives `yaml`'s bytes whenever it answers.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import {
  parseMigrationFile,
  sameYamlValue,
  serializeMigrationFileWhole,
  YAML_OPTIONS,
} from "../../src/core/migration-file";
import { emitMapYaml, emitSeqItemYaml } from "../../src/core/yaml-emit";
import { fastLoadYaml } from "../../src/core/yaml-fast";

// The options files are written with.
const OPTIONS = YAML_OPTIONS;

const yamlFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(p) : e.name.endsWith(".yaml") ? [p] : [];
  });

// JSON with NaN and -0 told apart, so "equal" means equal.
const same = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === "number" && (!Number.isFinite(x) || Object.is(x, -0)) ? `#${String(x)}` : x,
  );

// Scalars as plain text in a document, the way hand edits and other tools write them.
const SCALAR_TEXTS = [
  "4",
  "-4",
  "+12",
  "007",
  "0o17",
  "0o8",
  "0x1F",
  "0xG",
  "0b101",
  "1_000",
  "1.5",
  "1.",
  ".5",
  "1e3",
  "1E-3",
  "-.inf",
  ".Inf",
  ".NaN",
  ".nan",
  "nan",
  "inf",
  "true",
  "True",
  "TRUE",
  "tRue",
  "false",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "null",
  "Null",
  "NULL",
  "~",
  "",
  "2026-12-03",
  "2026-12-03T09:44:29.884Z",
  "12:30:00",
  "1:20",
  "0",
  "-0",
  "00",
  "1e",
  "e1",
  "0x",
  "+.inf",
  "String",
  "Nullable(String)",
  "DateTime64(3, 'UTC')",
  "a b",
  "'q'",
  '"d"',
];

describe("fast YAML reader", () => {
  it("reads every captured file to the value the yaml library reads", () => {
    const files = yamlFiles(path.resolve(__dirname, "../fixtures"));
    expect(files.length).toBeGreaterThan(50);
    let fast = 0;
    for (const p of files) {
      const text = fs.readFileSync(p, "utf8");
      const v = fastLoadYaml(text);
      if (v === undefined) continue; // tags, duplicate keys, errors: the yaml library's
      fast++;
      expect(same(v), p).toBe(same(YAML.parse(text, { version: "1.2" })));
    }
    // Most files take the fast path, or the test proves nothing.
    expect(fast).toBeGreaterThan(files.length / 2);
  });

  it("resolves each plain scalar as the yaml library's core schema does", () => {
    for (const s of SCALAR_TEXTS) {
      const text = `a: ${s}\nb:\n- ${s}\n`;
      expect(same(fastLoadYaml(text)), s).toBe(same(YAML.parse(text, { version: "1.2" })));
    }
  });

  it("leaves tags, duplicate keys, several documents and syntax errors to the yaml library", () => {
    for (const text of [
      "a: !String x\n",
      "a: 1\na: 2\n",
      "a: 1\n---\nb: 2\n",
      "a: [1\n",
      "a: !!int abc\n",
    ])
      expect(fastLoadYaml(text), text).toBeUndefined();
    // Standard tags it knows read as the yaml library reads them.
    for (const text of ["a: !!int 3\n", "a: !!str 3\n", "a: !!map {b: 1}\n"])
      expect(same(fastLoadYaml(text)), text).toBe(same(YAML.parse(text, { version: "1.2" })));
  });

  it("reads anything the yaml library writes to the same value (generated)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = YAML.stringify({ v }, OPTIONS);
        expect(same(fastLoadYaml(text))).toBe(same(YAML.parse(text, { version: "1.2" })));
      }),
      { numRuns: 400 },
    );
  });

  it("a digits-only hash is kept as written (the yaml library reads it)", () => {
    const hash = "0".repeat(64);
    const text = `id: 20260101_000000_000_x\ndescription: x\nparent_state_hash: ${hash}\ndeltas: []\ncreated_at: '2026-01-01T00:00:00Z'\n`;
    expect(parseMigrationFile(text, "x.yaml").parent_state_hash).toBe(hash);
  });
});

describe("sameYamlValue (generate's read-back comparison)", () => {
  it("equal as YAML data: undefined keys left out, NaN equals NaN; anything else differs", () => {
    expect(sameYamlValue({ a: 1, b: undefined, c: [NaN] }, { c: [NaN], a: 1 })).toBe(true);
    expect(sameYamlValue({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameYamlValue({ a: [1, 2] }, { a: [1] })).toBe(false);
    expect(sameYamlValue({ a: "1" }, { a: 1 })).toBe(false);
    expect(sameYamlValue([{}], [[]])).toBe(false);
    expect(sameYamlValue({ a: { b: undefined } }, { a: {} })).toBe(true);
  });
});

describe("fast YAML writer", () => {
  it("writes every delta of every captured file as the yaml library does", () => {
    const files = yamlFiles(path.resolve(__dirname, "../fixtures")).filter((p) =>
      /\d{8}_\d{6}_\d{3}_.*\.yaml$/.test(p),
    );
    let answered = 0;
    let deltas = 0;
    for (const p of files) {
      const f = parseMigrationFile(fs.readFileSync(p, "utf8"), p);
      // The whole-file rendering orders each delta as files are written.
      const ordered = (YAML.parse(serializeMigrationFileWhole(f)) as { deltas: object[] }).deltas;
      for (const d of ordered) {
        deltas++;
        const fast = emitSeqItemYaml(d);
        if (fast === undefined) continue;
        answered++;
        expect(fast, p).toBe(YAML.stringify([d], OPTIONS));
      }
    }
    expect(deltas).toBeGreaterThan(100);
    expect(answered).toBeGreaterThan(deltas / 2);
  });

  it("writes generated data as the yaml library does whenever it answers", () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
    const str = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.stringMatching(/^[A-Za-z0-9_(][A-Za-z0-9_.()/=,<>+*: '-]{0,12}$/),
      fc.constantFrom(...SCALAR_TEXTS),
      fc.stringMatching(/^'[ -~]{0,10}$/),
      fc.stringMatching(/^[-+]?[0-9]{1,6}(\.[0-9]{0,3})?([eE][-+]?[0-9]{1,2})?$/),
    );
    const leaf = fc.oneof(str, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(key, tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    let answered = 0;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 5 }), (v) => {
        const fast = emitSeqItemYaml(v);
        const map = emitMapYaml(v);
        if (map !== undefined) expect(map).toBe(YAML.stringify(v, OPTIONS));
        if (fast === undefined) return;
        answered++;
        expect(fast).toBe(YAML.stringify([v], OPTIONS));
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(300);
  });

  it("refuses what it cannot write exactly (the caller uses the yaml library)", () => {
    expect(emitSeqItemYaml({ a: 1.5 })).toBeUndefined();
    expect(emitSeqItemYaml({ a: "two\nlines" })).toBeUndefined();
    expect(emitSeqItemYaml({ "a b": 1 })).toBeUndefined();
    expect(emitSeqItemYaml({ a: [undefined] })).toBeUndefined();
  });
});
