/*
 * The incremental state hash (core/hash.ts createStateHasher) must equal `olapStateHash` after
 * every file of every captured history, and through edits in place, replaced and deleted
 * objects, and integer-like ids (which JavaScript orders first).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkChain } from "../../src/core/chain";
import { foldFileInPlace } from "../../src/core/fold";
import { createStateHasher, olapStateHash } from "../../src/core/hash";
import { emptyInfraMap, type Table } from "../../src/core/infra-map";
import { parseMigrationFile } from "../../src/core/migration-file";
import { col, table } from "../support/fixtures";

const historyDirs = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (!e.isDirectory()) return [];
    return e.name === "migrations" ? [p] : historyDirs(p);
  });

describe("incremental state hash", () => {
  it("equals olapStateHash after every file of every captured history", () => {
    const dirs = historyDirs(path.resolve(__dirname, "../fixtures/moose-golden"));
    expect(dirs.length).toBeGreaterThan(10);
    let steps = 0;
    for (const dir of dirs) {
      const files = fs
        .readdirSync(dir)
        .filter((n) => /^\d{8}_.*\.yaml$/.test(n))
        .sort()
        .map((n) => parseMigrationFile(fs.readFileSync(path.join(dir, n), "utf8"), n));
      // A capture holds its chain's files so far, in its own database.
      const config = path.join(dir, "..", "moose.config.toml");
      const db = fs.existsSync(config)
        ? (/db_name\s*=\s*"([^"]+)"/.exec(fs.readFileSync(config, "utf8"))?.[1] ?? "local")
        : "local";
      const state = emptyInfraMap(db);
      const hashOf = createStateHasher();
      let changed = new Set<string>();
      for (const f of files) {
        expect(hashOf(state, changed), `${dir} before ${f.id}`).toBe(olapStateHash(state));
        expect(hashOf(state, new Set())).toBe(f.parent_state_hash);
        changed = new Set();
        foldFileInPlace(state, f, db, changed);
        steps++;
      }
      expect(hashOf(state, changed)).toBe(olapStateHash(state));
    }
    expect(steps).toBeGreaterThan(20);
  });

  it("follows edits in place, replacements, deletions and integer-like ids", () => {
    const state = emptyInfraMap("local");
    const hashOf = createStateHasher();
    const none = new Set<string>();
    const t = (name: string): Table => table(name, [col("id"), col("n", { data_type: "Int64" })]);
    for (const name of ["b", "10", "a", "2", "z_9"]) state.tables[`local_${name}`] = t(name);
    expect(hashOf(state, none)).toBe(olapStateHash(state));
    // In place: the same object, a column added.
    state.tables.local_a!.columns.push(col("extra"));
    expect(hashOf(state, new Set(["tables\0local_a"]))).toBe(olapStateHash(state));
    // Replaced, deleted, added, and a view.
    state.tables.local_b = t("b2");
    delete state.tables.local_10;
    state.tables.local_0 = t("0");
    state.views.v = { name: "v", selectSql: "SELECT 1", sourceTables: [] };
    expect(hashOf(state, none)).toBe(olapStateHash(state));
    // Back to an earlier shape: still right (no stale pieces).
    delete state.views.v;
    expect(hashOf(state, none)).toBe(olapStateHash(state));
  });

  it("many tables edited at random positions, one step at a time", () => {
    const state = emptyInfraMap("local");
    const hashOf = createStateHasher();
    const t = (name: string): Table => table(name, [col("id"), col("n", { data_type: "Int64" })]);
    for (let i = 0; i < 120; i++) state.tables[`local_t${i}`] = t(`t${i}`);
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let step = 0; step < 60; step++) {
      const changed = new Set<string>();
      const id = `local_t${rand(130)}`;
      const existing = state.tables[id];
      if (existing && rand(3) > 0) {
        existing.columns.push(col(`c${step}`));
        changed.add(`tables\0${id}`);
      } else if (existing) delete state.tables[id];
      else state.tables[id] = t(id.slice(6));
      expect(hashOf(state, changed), `step ${step}`).toBe(olapStateHash(state));
    }
  });

  it("a second chain check over the same files gives the same report", () => {
    const dir = historyDirs(path.resolve(__dirname, "../fixtures/moose-golden")).find(
      (d) => fs.readdirSync(d).length > 2,
    )!;
    const files = fs
      .readdirSync(dir)
      .filter((n) => /^\d{8}_.*\.yaml$/.test(n))
      .sort()
      .map((n) => parseMigrationFile(fs.readFileSync(path.join(dir, n), "utf8"), n));
    const first = checkChain(files, "local");
    const again = checkChain(files.slice(0, -1), "local");
    const whole = checkChain(files, "local");
    expect(whole).toEqual(first);
    expect(olapStateHash(again.state)).toBe(files.at(-1)!.parent_state_hash);
  });
});
