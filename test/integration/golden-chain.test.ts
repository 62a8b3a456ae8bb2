import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { foldFiles } from "../../src/core/fold";
import { canonicalJson } from "../../src/core/hash";
import { parseMigrationFile } from "../../src/core/migration-file";
import type { Delta } from "../../src/core/deltas";
import { GOLDEN_DIR, goldenMigrationFiles, goldenRead, makeProject } from "../support/golden";
import { gen, mig } from "../support/run";

const goldenFile = (step: string, name: string) =>
  parseMigrationFile(
    fs.readFileSync(path.join(GOLDEN_DIR, step, "migrations", name), "utf8"),
    name,
  );

/** Policies carry approval timestamps; everything else must be identical. */
const comparable = (deltas: Delta[]) =>
  deltas
    .map((d) =>
      "policy" in d && d.policy
        ? { ...d, policy: { description: d.policy.description, approved_at: "<time>" } }
        : d,
    )
    .map((d) => canonicalJson(d))
    .sort();

/** A model declaring exactly the folded state (for reference steps whose model was not captured). */
const modelOf = (root: string): string => {
  const files = fs
    .readdirSync(path.join(root, "migrations"))
    .sort()
    .map((f) => parseMigrationFile(fs.readFileSync(path.join(root, "migrations", f), "utf8"), f));
  const map = foldFiles(files, "local");
  const ts: Record<string, string> = {
    String: "string",
    Float64: "number",
    Int32: "Int32",
    DateTime: "Date",
  };
  return [
    'import { OlapTable, Key, Int32 } from "@514labs/moose-lib";',
    ...Object.values(map.tables).flatMap((t) => [
      `export interface ${t.name}Row { ${t.columns.map((c) => `${c.name}: ${c.primary_key ? `Key<${ts[c.data_type as string]}>` : ts[c.data_type as string]};`).join(" ")} }`,
      `export const ${t.name}T = new OlapTable<${t.name}Row>("${t.name}", { orderByFields: ${JSON.stringify(t.order_by)} });`,
    ]),
  ].join("\n");
};

const CHAIN = [
  "01-create-User",
  "02-add-column",
  "04-change-type",
  "05-drop-column",
  "07-change-order-by",
  "11-drop-table",
];

describe("golden chain 01-11 (database local): same deltas, same parent hashes as the real CLI", () => {
  it("generates each step's file identically and converges after applying it", async () => {
    const root = makeProject({ dbName: "local" });
    const copied: string[] = [];
    for (const step of CHAIN) {
      fs.mkdirSync(path.join(root, "app"), { recursive: true });
      fs.writeFileSync(path.join(root, "app", "index.ts"), goldenRead(step, "model.ts"));
      const files = goldenMigrationFiles(step);
      const fresh = files.filter((f) => !copied.includes(f));
      // Files from uncaptured intermediate steps are copied; the step's own file is generated.
      for (const f of fresh.slice(0, -1)) {
        fs.copyFileSync(
          path.join(GOLDEN_DIR, step, "migrations", f),
          path.join(root, "migrations", f),
        );
        copied.push(f);
        fs.writeFileSync(path.join(root, "app", "index.ts"), modelOf(root));
        await mig(root);
        fs.writeFileSync(path.join(root, "app", "index.ts"), goldenRead(step, "model.ts"));
      }
      const expected = goldenFile(step, fresh.at(-1)!);
      const result = await gen(root);
      expect(result.status, step).toBe("written");
      expect(result.file!.parent_state_hash, step).toBe(expected.parent_state_hash);
      expect(comparable(result.file!.deltas), step).toEqual(comparable(expected.deltas));
      // Continue the chain on the reference's own file so ids line up with later steps.
      fs.rmSync(result.path!);
      fs.copyFileSync(
        path.join(GOLDEN_DIR, step, "migrations", fresh.at(-1)!),
        path.join(root, "migrations", fresh.at(-1)!),
      );
      copied.push(fresh.at(-1)!);
      await mig(root);
      // Converged: nothing left to generate.
      expect((await gen(root, { save: false })).status, step).toBe("no-changes");
    }
  });
});
