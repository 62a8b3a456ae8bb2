import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeProject } from "../support/golden";
import { gen, mig, setModel, withEngine } from "../support/run";

/**
 * The issue-3 property: random schemas over the whole feature set (types, column properties,
 * engines, keys, partitions, TTLs, settings, indexes, projections, versions, views), evolved
 * at random. After every generate → migrate the next generate is empty, and the rows inserted
 * before a step are still there afterwards, also when the step recreated their table.
 *
 * Each column name has one type (so existing rows always convert); what varies is presence and
 * the column's properties. CI runs a seeded handful; `npm run convergence:long` runs many more.
 */
const COLUMN_TYPES: Record<string, string> = {
  a: "string",
  b: "Int32",
  c: "Decimal<10, 2>",
  d: 'string & tags.Format<"uuid">',
  e: "Record<string, number>",
  f: "Status",
  g: "(string | null)[]",
  h: "Address",
  i: "Pt & ClickHouseNamedTuple",
  j: "FixedString<4>",
  k: 'string & tags.Format<"date">',
  l: 'string & tags.Format<"ipv4">',
  m: "DateTime64<3>",
  n: "Record<string, any>",
  o: "string | undefined",
  p: "string & LowCardinality",
};
const SCALAR = new Set(["a", "b", "p"]);

const decoration = fc.constantFrom("none", "comment", "codec", "default", "ttl");
const column = fc.record({ decoration, comment: fc.constantFrom("one", "two") });
const table = fc.record({
  columns: fc.dictionary(fc.constantFrom(...Object.keys(COLUMN_TYPES)), column, {
    maxKeys: 6,
  }),
  replacing: fc.boolean(),
  orderByTs: fc.boolean(),
  partitioned: fc.boolean(),
  ttlDays: fc.constantFrom(0, 30, 90),
  mergeTimeout: fc.constantFrom("", "3600", "7200"),
  index: fc.boolean(),
  projection: fc.boolean(),
  version: fc.constantFrom("", "1.0", "2.0"),
  view: fc.constantFrom(0, 1, 2),
});
const schema = fc.dictionary(fc.constantFrom("Alpha", "Beta"), table, { maxKeys: 2 });
type Schema = typeof schema extends fc.Arbitrary<infer S> ? S : never;
type TableSpec = Schema[string];

const columnLine = (name: string, c: TableSpec["columns"][string]): string => {
  const t = COLUMN_TYPES[name]!;
  const optional = name === "o";
  let type = optional ? "string" : t;
  const scalar = SCALAR.has(name);
  if (c.decoration === "codec" && scalar) type += ' & ClickHouseCodec<"ZSTD(3)">';
  if (c.decoration === "default" && scalar)
    type += name === "b" ? ' & ClickHouseDefault<"7">' : ` & ClickHouseDefault<"'x'">`;
  if (c.decoration === "ttl" && scalar) type += ' & ClickHouseTTL<"ts + INTERVAL 7 DAY">';
  const doc = c.decoration === "comment" ? `  /** ${c.comment} */\n` : "";
  return `${doc}  ${name}${optional ? "?" : ""}: ${type};`;
};

const physical = (name: string, t: TableSpec) =>
  t.version ? `${name}_${t.version.replace(/\./g, "_")}` : name;

const modelText = (s: Schema): string =>
  [
    `import { OlapTable, View, Key, Int32, Decimal, FixedString, DateTime64, LowCardinality, ClickHouseDefault, ClickHouseCodec, ClickHouseTTL, ClickHouseNamedTuple, ClickHouseEngines, Float64 } from "@514labs/moose-lib";`,
    `import { tags } from "typia";`,
    `export enum Status { ON = "on", OFF = "off" }`,
    `export interface Address { street: string; zip: number }`,
    `export interface Pt { x: Float64; y: Float64 }`,
    ...Object.entries(s).flatMap(([name, t]) => {
      const cols = Object.entries(t.columns)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([c, spec]) => columnLine(c, spec));
      const cfg = [
        `orderByFields: ${t.orderByTs ? '["id", "ts"]' : '["id"]'}`,
        t.replacing ? `engine: ClickHouseEngines.ReplacingMergeTree, ver: "ts"` : "",
        t.partitioned ? `partitionBy: "toYYYYMM(ts)"` : "",
        t.ttlDays ? `ttl: "ts + INTERVAL ${t.ttlDays} DAY"` : "",
        t.mergeTimeout ? `settings: { merge_with_ttl_timeout: "${t.mergeTimeout}" }` : "",
        t.index
          ? `indexes: [{ name: "i_ts", expression: "ts", type: "minmax", granularity: 1 }]`
          : "",
        t.projection && !t.replacing
          ? `projections: [{ name: "p_ts", body: "SELECT id, ts ORDER BY ts" }]`
          : "",
        t.version ? `version: "${t.version}"` : "",
      ].filter((x) => x !== "");
      return [
        `export interface ${name}Row {\n  id: Key<string>;\n  ts: Date;\n${cols.join("\n")}\n}`,
        `export const ${name}T = new OlapTable<${name}Row>("${name}", { ${cfg.join(", ")} });`,
        ...(t.view
          ? [
              `export const ${name}V = new View("${name}_v", { selectStatement: "SELECT id FROM ${physical(name, t)} WHERE ${t.view === 1 ? "ts > 0" : "length(id) > 1"}", baseTables: [${name}T] });`,
            ]
          : []),
      ];
    }),
  ].join("\n");

const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 6);

describe("convergence over the full ClickHouse feature set, with data surviving", () => {
  it(`holds over random evolutions (seeded, ${RUNS} runs)`, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(schema, { minLength: 2, maxLength: 3 }), async (steps) => {
        const db = `convf_${process.pid}_${run++}`;
        const root = makeProject({ dbName: db });
        let before = new Map<string, string[]>();
        let prev: Schema = {};
        for (const [n, s] of steps.entries()) {
          setModel(root, modelText(s));
          await gen(root);
          await mig(root);
          const again = await gen(root, { save: false });
          expect(
            again.deltas,
            `step ${n}: ${JSON.stringify(again.deltas.map((d) => d.type))}`,
          ).toEqual([]);
          const after = new Map<string, string[]>();
          await withEngine(async (ch) => {
            for (const [name, t] of Object.entries(s)) {
              const tbl = `\`${db}\`.\`${physical(name, t)}\``;
              const ids = (await ch.query<{ id: string }>(`SELECT id FROM ${tbl} ORDER BY id`)).map(
                (r) => r.id,
              );
              // Rows from earlier steps survive, a recreate copies them (and a version bump
              // carries them over through its backfill).
              const earlier = before.get(name);
              if (earlier && prev[name]) expect(ids, `step ${n}: rows of ${name}`).toEqual(earlier);
              await ch.command(`INSERT INTO ${tbl} (id, ts) VALUES ('r${n}', now())`);
              after.set(name, [...ids, `r${n}`].sort());
            }
          });
          before = after;
          prev = s;
        }
      }),
      { numRuns: RUNS, seed: 20261122, endOnFailure: true },
    );
  }, 900_000);
});
