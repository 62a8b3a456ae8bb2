import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateMigrations, migrationStatus } from "../../src/commands/migrate";
import { makeProject } from "../support/golden";
import { gen, mig, opts, setModel, withEngine } from "../support/run";

/**
 * The "no dead ends" property: random evolutions of the code interleaved with hand-made changes
 * in the database (columns added, dropped or retyped, a table dropped), under random
 * ignore_operations. After every step, the file generate writes passes `--validate` (fold and
 * forks), applies, and the next generate is empty; `--status` agrees (nothing unmigrated). At
 * the end the whole history applies to a fresh database too.
 */
const IGNORABLE = ["ModifyTableTtl", "ModifyColumnTtl", "IgnoreStringLowCardinalityDifferences"];

const model = fc.record({
  v: fc.boolean(),
  w: fc.constantFrom("none", "string", "lowcard"),
  x: fc.boolean(),
  ttlDays: fc.constantFrom(0, 30, 90),
  view: fc.boolean(),
});
type Model = typeof model extends fc.Arbitrary<infer M> ? M : never;

const drift = fc.constantFrom(
  "none",
  "add-column",
  "drop-column",
  "retype-column",
  "drop-table",
  "drop-view",
);
type Drift = typeof drift extends fc.Arbitrary<infer D> ? D : never;

const modelText = (m: Model): string => {
  const cols = [
    m.v ? "  v: number;" : "",
    m.w === "string" ? "  w: string;" : m.w === "lowcard" ? "  w: string & LowCardinality;" : "",
    m.x ? "  x: Int32;" : "",
  ].filter((c) => c !== "");
  const cfg = [`orderByFields: ["id"]`, m.ttlDays ? `ttl: "ts + INTERVAL ${m.ttlDays} DAY"` : ""]
    .filter((c) => c !== "")
    .join(", ");
  return [
    `import { OlapTable, View, Key, Int32, LowCardinality } from "@514labs/moose-lib";`,
    `export interface ARow {\n  id: Key<string>;\n  ts: Date;\n${cols.join("\n")}\n}`,
    `export const AT = new OlapTable<ARow>("A", { ${cfg} });`,
    m.view
      ? `export const AV = new View("A_v", { selectStatement: "SELECT id, ts FROM A", baseTables: [AT] });`
      : "",
  ].join("\n");
};

/** A person at the ClickHouse prompt between two deploys. */
const driftSql = (db: string, d: Drift, m: Model): string[] => {
  const t = `\`${db}\`.\`A\``;
  switch (d) {
    case "none":
      return [];
    case "add-column":
      return [`ALTER TABLE ${t} ADD COLUMN hand_made String`];
    case "drop-column":
      return m.v ? [`ALTER TABLE ${t} DROP COLUMN v`] : [];
    case "retype-column":
      return m.x ? [`ALTER TABLE ${t} MODIFY COLUMN x Int64`] : [];
    case "drop-table":
      // A view reads the table: ClickHouse refuses to drop it first.
      return [`DROP VIEW IF EXISTS \`${db}\`.\`A_v\``, `DROP TABLE ${t}`];
    case "drop-view":
      return m.view ? [`DROP VIEW \`${db}\`.\`A_v\``] : [];
  }
};

const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 5);

describe("convergence with hand-made drift and ignore_operations", () => {
  it(`every file validates and applies, and the loop converges (seeded, ${RUNS} runs)`, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(IGNORABLE),
        fc.array(fc.tuple(model, drift), { minLength: 2, maxLength: 4 }),
        async (ignore, steps) => {
          const db = `convd_${process.pid}_${run++}`;
          const root = makeProject({
            config: `[clickhouse_config]\ndb_name = "${db}"\n\n[features]\nmigrate_with_deltas = true\n\n[migration_config]\nignore_operations = ${JSON.stringify(ignore)}\n`,
          });
          let deployed: Model | undefined;
          for (const [n, [m, d]] of steps.entries()) {
            const statements = deployed ? driftSql(db, d, deployed) : [];
            if (statements.length > 0)
              await withEngine(async (ch) => {
                for (const s of statements) await ch.command(s);
              });
            setModel(root, modelText(m));
            const label = `step ${n} (drift ${d}, ignore ${ignore.join(",") || "-"})`;
            await gen(root);
            // What generate wrote, the tool itself accepts.
            expect((await validateMigrations(opts(root))).conflicts, label).toEqual([]);
            await mig(root);
            const again = await gen(root, { save: false });
            expect(
              again.deltas.map((x) => x.type),
              `${label}: ${JSON.stringify(again.deltas.map((x) => x.type))}`,
            ).toEqual([]);
            const status = await migrationStatus(opts(root));
            expect(status.pending, label).toEqual([]);
            expect(status.unmigrated, label).toEqual([]);
            deployed = m;
          }
          // The same history builds a database that never drifted: a fresh one takes every file,
          // records included (there they are not in effect yet, so they run).
          await withEngine((ch) => ch.command(`DROP DATABASE \`${db}\` SYNC`));
          await mig(root);
          expect((await gen(root, { save: false })).deltas.map((x) => x.type)).toEqual([]);
          expect((await migrationStatus(opts(root))).drift).toEqual([]);
        },
      ),
      { numRuns: RUNS, seed: 20261202, endOnFailure: true },
    );
  }, 900_000);
});
