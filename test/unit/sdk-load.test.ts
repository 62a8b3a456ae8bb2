import { describe, expect, it } from "vitest";
import { loadModels } from "../../src/model/load-project";
import { makeProject } from "../support/golden";

/**
 * A project written against moose-lib's public API (APIs, workflows, web apps, caches,
 * transforms, consumers, ingest APIs, query helpers, `sql` views) type-checks against our
 * SDK without a single warning, loads without touching any service, and plans the tables,
 * views and topics — including the dead-letter topic an IngestPipeline creates implicitly.
 */
const MODEL = `
import {
  Api, ConsumptionApi, IngestPipeline, IngestApi, OlapTable, Stream, View, MaterializedView,
  DeadLetterModel, Key, Int32, LowCardinality, MooseCache, MooseUtils, Task, Workflow, WebApp,
  ETLPipeline, cliLog, getTable, getTables, sql, eq, where, count, sum, defineQueryModel,
  buildQuery, getMooseUtils, mooseRuntimeEnv, ClickHouseEngines, LifeCycle, ApiHelpers,
  ClickHouseInt, ClickHouseFloat, Insertable, JWT, SelectRowPolicy, SqlResource, toQuery,
} from "@514labs/moose-lib";
import { percentile } from "@514labs/moose-lib/testing";

export interface Foo {
  id: Key<string>;
  ts: Date;
  n: number & ClickHouseInt<"int16">;
  f: number & ClickHouseFloat<"float32">;
  tag: string & LowCardinality;
  note?: string;
}
export interface Bar { id: Key<string>; day: Int32; total: number }

export const FooPipeline = new IngestPipeline<Foo>("Foo", {
  table: { orderByFields: ["id", "ts"] },
  stream: true,
  ingestApi: true,
  deadLetterQueue: true,
  lifeCycle: LifeCycle.DELETION_PROTECTED,
});
export const BarTable = new OlapTable<Bar>("Bar", {
  engine: ClickHouseEngines.ReplacingMergeTree,
  orderByFields: ["id"],
});
export const BarStream = new Stream<Bar>("Bar", { destination: BarTable, parallelism: 2 });
export const RawApi = new IngestApi<Bar>("raw", { destination: BarStream });

FooPipeline.stream!.addTransform(BarStream, async (foo) => {
  const cache = await MooseCache.get();
  await cache.set(foo.id, "seen", 60);
  return { id: foo.id, day: foo.ts.getDate(), total: foo.n };
});
FooPipeline.stream!.addConsumer((foo) => cliLog({ action: "got", message: foo.id }));
FooPipeline.deadLetterQueue!.addConsumer((dead: DeadLetterModel) => {
  cliLog({ action: "dead", message: dead.errorMessage, message_type: "Error" });
});

const foo = FooPipeline.table!;
const c = foo.columns;
export const Daily = new MaterializedView<Bar>({
  materializedViewName: "Daily_mv",
  selectStatement: sql\`SELECT \${c.id} AS id, toDayOfMonth(\${c.ts}) AS day, count() AS total FROM \${foo} GROUP BY id, day\`,
  selectTables: [foo],
  targetTable: BarTable,
});
export const Recent = new View("Recent", sql\`SELECT \${c.id}, \${c.ts} FROM \${foo}\`, [foo]);

interface Params { limit?: number; tag?: string }
export const FooApi = new Api<Params, Foo[]>("foos", async ({ limit = 10, tag }, { client, sql }: MooseUtils) => {
  const q = sql\`SELECT * FROM \${foo} \${where(tag ? eq(c.tag, tag) : sql\`\`)} LIMIT \${limit}\`;
  const rows = await client.query.execute<Foo>(q);
  return rows.json();
}, { version: "1", path: "foos" });
export const Legacy = new ConsumptionApi<Params>("legacy", async (_p, { client }) => {
  const t = getTable("Bar");
  const [text] = toQuery(sql\`SELECT * FROM \${ApiHelpers.table(t ? t.name : "Bar")}\`);
  return (await client.query.execute(sql.raw(text))).json();
});

export const model = defineQueryModel({
  table: foo,
  dimensions: { tag: { column: "tag" } },
  metrics: { rows: { agg: count() }, total: { agg: sum(c.n) } },
  filters: { tag: { column: "tag", operators: ["eq", "in"] as const } },
  sortable: ["rows"] as const,
});
export const byTag = buildQuery(model).dimensions(["tag"]).metrics(["rows"]).filter("tag", "eq", "a").limit(5);

export const one = new Task<null, number>("one", { run: async () => 1, retries: 2 });
export const two = new Task<number, void>("two", { run: async ({ input }) => { void input; } });
one.config.onComplete = [two];
export const flow = new Workflow("flow", { startingTask: one, schedule: "@every 1h" });
export const etl = new ETLPipeline<number, Bar>("etl", {
  extract: async function* () { yield 1; },
  transform: async (n) => ({ id: String(n), day: 1, total: n }),
  load: BarTable,
});
export const web = new WebApp("web", async (_req: unknown, res: { end(s: string): void }) => {
  const utils = await getMooseUtils();
  res.end(String(utils !== undefined));
}, { mountPath: "/web" });
export const policy = new SelectRowPolicy("tenant", { tables: [BarTable], column: "id", claim: "org" });
export const res = new SqlResource("res", ["CREATE TABLE x (a Int8) ENGINE = Memory"], ["DROP TABLE x"]);
export const secret = mooseRuntimeEnv.get("SECRET");
export const p50 = percentile([1, 2, 3], 50);
export const row: Insertable<Bar> = { id: "a", day: 1, total: 2 };
export type Claims = JWT<{ org: string }>;
export const tableCount = getTables().size;
`;

describe("a project using moose-lib's whole public API", () => {
  it("type-checks cleanly, loads inertly and plans tables, views and implicit topics", () => {
    const root = makeProject({ model: MODEL, dbName: "local" });
    const { map, warnings } = loadModels({ root, sourceDir: "app", defaultDatabase: "local" });
    expect(warnings.map((w) => JSON.stringify(w))).toEqual([]);
    expect(Object.keys(map.tables).sort()).toEqual(["local_Bar", "local_Foo"]);
    expect(map.tables.local_Foo!.columns.map((col) => [col.name, col.data_type])).toEqual([
      ["id", "String"],
      ["ts", "DateTime"],
      ["n", "Int16"],
      ["f", "Float32"],
      ["tag", "String"],
      ["note", "String"],
    ]);
    expect(map.tables.local_Foo!.life_cycle).toBe("DELETION_PROTECTED");
    expect(Object.keys(map.topics).sort()).toEqual(["Bar", "Foo", "FooDeadLetterQueue"]);
    expect(map.topics.FooDeadLetterQueue).toMatchObject({
      name: "FooDeadLetterQueue",
      partition_count: 1,
      life_cycle: "DELETION_PROTECTED",
      columns: [
        { name: "originalRecord", data_type: "Json" },
        { name: "errorMessage", data_type: "String" },
        { name: "errorType", data_type: "String" },
        { name: "failedAt", data_type: "DateTime" },
        { name: "source", data_type: "String" },
      ],
      metadata: { description: null, source: { file: "dist/app/index.js" } },
    });
    expect(map.views.Recent!.selectSql).toBe("SELECT `id`, `ts` FROM `Foo`");
    expect(map.materialized_views.Daily_mv).toMatchObject({
      selectSql:
        "SELECT `id` AS id, toDayOfMonth(`ts`) AS day, count() AS total FROM `Foo` GROUP BY id, day",
      sourceTables: ["`Foo`"],
      targetTable: "Bar",
    });
  });
});
