import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/hash";
import { parseMigrationFile } from "../../src/core/migration-file";
import { sqlKeyOffline } from "../../src/core/normalize";
import type { Delta } from "../../src/core/deltas";
import {
  GOLDEN_DIR,
  goldenDefaultDb,
  goldenHas,
  goldenMigrationFiles,
  goldenRead,
  makeProject,
} from "../support/golden";
import { applyReferenceFiles } from "../support/apply-reference";
import { gen, mig } from "../support/run";

const goldenFile = (step: string, name: string) =>
  parseMigrationFile(
    fs.readFileSync(path.join(GOLDEN_DIR, step, "migrations", name), "utf8"),
    name,
  );

/**
 * Policies carry approval timestamps; view SELECTs are compared as ClickHouse would (the
 * reference wrote `SUM(amount)` for the model's `sum(amount)`); everything else is identical.
 */
const comparable = (deltas: Delta[]) =>
  deltas
    .map((d) => {
      let x: Record<string, unknown> = { ...d };
      if ("policy" in d && d.policy)
        x = { ...x, policy: { description: d.policy.description, approved_at: "<time>" } };
      if (d.type === "CreateMaterializedView" || d.type === "DropMaterializedView")
        x = { ...x, mv: { ...d.mv, selectSql: sqlKeyOffline(d.mv.selectSql) } };
      if (d.type === "CreateView" || d.type === "DropView")
        x = { ...x, view: { ...d.view, selectSql: sqlKeyOffline(d.view.selectSql) } };
      return canonicalJson(x);
    })
    .sort();

/**
 * Moose 0.6.533 keeps topics out of its files (moose-behaviour §6); the chains compare the OLAP
 * part, so streams in the golden models (07) are left to the streaming engine being off here.
 * Topic deltas have their own tests (kafka-topics.test.ts).
 */
const OLAP_ONLY = { MOOSE_FEATURES__STREAMING_ENGINE: "false" };

/** Golden chains (one database each): steps in order; each step's last file is generated. */
const CHAINS: Record<string, string[]> = {
  local: [
    "01-create-User",
    "02-add-column",
    "04-change-type",
    "05-drop-column",
    "07-change-order-by",
    "11-drop-table",
  ],
  typesdb: [
    "e01-types-create",
    "e02-types-change-default",
    "e03-types-add-codec",
    "e04-types-change-comment",
    "e07-types-add-column-first",
    "e08-types-add-column-middle",
  ],
  featdb: [
    "e14-feat-create",
    "e15-feat-ttl-change",
    "e16-feat-ttl-remove",
    "e17-feat-setting-change-alterable",
    "e18-feat-setting-add-alterable",
    "e22-feat-index-add",
    "e25-feat-projection-add",
  ],
  viewdb: ["e33-views-create"],
  verdb: ["e38-version-create", "e39-version-bump-yes-all"],
  multidb: ["e42-multi-create-5-tables"],
  igndb: ["e49-ignore-create"],
  enumdb: ["e57-enum-create"],
};

describe("golden chains: same deltas and parent hashes as the real CLI, then convergence", () => {
  for (const [db, steps] of Object.entries(CHAINS)) {
    it(`chain ${db}: ${steps.join(" → ")}`, async () => {
      expect(goldenDefaultDb(steps[0]!)).toBe(db);
      const root = goldenHas(steps[0]!, "moose.config.toml")
        ? makeProject({ config: goldenRead(steps[0]!, "moose.config.toml") })
        : makeProject({ dbName: db });
      const copied: string[] = [];
      for (const step of steps) {
        const fresh = goldenMigrationFiles(step).filter((f) => !copied.includes(f));
        // Files of uncaptured intermediate steps are applied as the reference wrote them.
        for (const f of fresh.slice(0, -1)) {
          fs.copyFileSync(
            path.join(GOLDEN_DIR, step, "migrations", f),
            path.join(root, "migrations", f),
          );
          copied.push(f);
        }
        if (fresh.length > 1) await applyReferenceFiles(root);
        fs.mkdirSync(path.join(root, "app"), { recursive: true });
        fs.writeFileSync(path.join(root, "app", "index.ts"), goldenRead(step, "model.ts"));
        const expected = goldenFile(step, fresh.at(-1)!);
        const result = await gen(root, { env: OLAP_ONLY });
        expect(result.status, step).toBe("written");
        expect(result.file!.parent_state_hash, step).toBe(expected.parent_state_hash);
        expect(comparable(result.file!.deltas), step).toEqual(comparable(expected.deltas));
        expect(
          result.file!.deltas.map((d) => d.type),
          `${step}: delta order`,
        ).toEqual(expected.deltas.map((d) => d.type));
        // Continue on the reference's own file so later parent hashes line up.
        fs.rmSync(result.path!);
        fs.copyFileSync(
          path.join(GOLDEN_DIR, step, "migrations", fresh.at(-1)!),
          path.join(root, "migrations", fresh.at(-1)!),
        );
        copied.push(fresh.at(-1)!);
        await mig(root, undefined, { env: OLAP_ONLY });
        expect(
          (await gen(root, { save: false, env: OLAP_ONLY })).status,
          `${step}: converged`,
        ).toBe("no-changes");
      }
    }, 120_000);
  }
});
