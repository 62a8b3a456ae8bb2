/*
 * Files are written delta by delta (each delta's YAML cached, so moose dev's rewrite of a big
 * pending.yaml renders only what changed); the result must be byte for byte what one
 * YAML.stringify of the whole file gives.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseMigrationFile,
  serializeMigrationFile,
  serializeMigrationFileWhole,
  type MigrationFile,
} from "../../src/core/migration-file";

const yamlFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(p) : /\d{8}_\d{6}_\d{3}_.*\.yaml$/.test(e.name) ? [p] : [];
  });

describe("serializeMigrationFile", () => {
  const files = yamlFiles(path.resolve(__dirname, "../fixtures"));

  it("equals the whole-file rendering for every captured file, twice (cold and cached)", () => {
    expect(files.length).toBeGreaterThan(20);
    for (const p of files) {
      const f = parseMigrationFile(fs.readFileSync(p, "utf8"), p);
      const whole = serializeMigrationFileWhole(f);
      expect(serializeMigrationFile(f), p).toBe(whole);
      expect(serializeMigrationFile(f), p).toBe(whole);
    }
  });

  it("an empty delta list and a stream hash render as in one piece", () => {
    const f: MigrationFile = {
      id: "pending",
      description: "Auto-generated during dev mode",
      parent_state_hash: "0".repeat(64),
      parent_stream_hash: "1".repeat(64),
      deltas: [],
      created_at: "2026-12-02T10:00:00.000Z",
    };
    expect(serializeMigrationFile(f)).toBe(serializeMigrationFileWhole(f));
    expect(parseMigrationFile(serializeMigrationFile(f), "pending.yaml")).toEqual(f);
  });
});
