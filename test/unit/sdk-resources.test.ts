import { beforeEach, describe, expect, it } from "vitest";
import {
  ACKs,
  Api,
  ClickHouseEngines,
  ConsumptionApi,
  CSV_DELIMITERS,
  DeadLetterQueue,
  ETLPipeline,
  IngestPipeline,
  LifeCycle,
  MAX_RETRIES,
  MOOSE_RLS_ROLE,
  MaterializedView,
  MooseCache,
  MooseClient,
  OlapTable,
  QueryClient,
  Stream,
  Task,
  View,
  WebApp,
  Workflow,
  WorkflowClient,
  cliLog,
  compilerLog,
  createTestReporter,
  getApi,
  getApis,
  getIngestApi,
  getMaterializedView,
  getMooseUtils,
  getStream,
  getStreams,
  getTable,
  getTables,
  getView,
  getViews,
  getWebApp,
  getWorkflow,
  logError,
  mooseRuntimeEnv,
  parseCSV,
  parseJSONWithDates,
  percentile,
  sql,
  tableStats,
  type Key,
} from "../../src/sdk/index";
import { registry, resetRegistry, type InjectedSchema } from "../../src/sdk/registry";
import { col } from "../support/fixtures";

/** A column as the loader injects it (a plain record). */
const column = (...args: Parameters<typeof col>) => ({ ...col(...args) });

interface Ev {
  id: Key<string>;
  at: Date;
  note?: string;
}
const evSchema = (): InjectedSchema => ({
  columns: [
    column("id", { primary_key: true }),
    column("at", { data_type: "DateTime" }),
    column("note", { required: false, comment: "free text" }),
  ],
  sourceFile: "dist/app/models.js",
  typeName: "Ev",
});

const NOT_AVAILABLE = /is not available when the migration tool loads models/;

beforeEach(() => resetRegistry());

describe("OlapTable", () => {
  it("exposes kind, name, config and its columns as moose-lib column objects", () => {
    const t = new OlapTable<Ev>("Events", { orderByFields: ["id"], version: "1.0" }, evSchema());
    expect(t.kind).toBe("OlapTable");
    expect(t.name).toBe("Events");
    expect(t.config.engine).toBe(ClickHouseEngines.MergeTree);
    expect(t.generateTableName()).toBe("Events_1_0");
    expect(t.columnArray.map((c) => c.name)).toEqual(["id", "at", "note"]);
    expect(t.columns.note).toEqual({
      name: "note",
      data_type: "String",
      required: false,
      unique: false,
      primary_key: false,
      default: null,
      annotations: [],
      materialized: null,
      alias: null,
      ttl: null,
      codec: null,
      comment: "free text",
    });
    expect(t.columns.id.primary_key).toBe(true);
    expect(t.metadata).toEqual({ source: { file: "dist/app/models.js" } });
  });

  it("keeps the injected columns unchanged for the plan", () => {
    new OlapTable<Ev>("Events", {}, evSchema());
    const r = registry().resources[0]!;
    expect(r.kind === "OlapTable" && r.schema?.columns[2]).toEqual(
      column("note", { required: false, comment: "free text" }),
    );
  });

  it("rejects I/O with a clear message", async () => {
    const t = new OlapTable<Ev>("Events", {}, evSchema());
    await expect(t.insert([{ id: "a", at: new Date() }])).rejects.toThrow(
      "OlapTable.insert is not available when the migration tool loads models",
    );
    await expect(t.validateRecords([])).rejects.toThrow(NOT_AVAILABLE);
    expect(() => t.assertValidRecord({})).toThrow(NOT_AVAILABLE);
    await expect(t.closeClient()).resolves.toBeUndefined();
  });
});

describe("registry lookups", () => {
  it("return the resources declared so far, keyed as moose-lib keys them", () => {
    const a = new OlapTable<Ev>("A", {}, evSchema());
    const b = new OlapTable<Ev>("B", { version: "2.0" }, evSchema());
    const s = new Stream<Ev>("S", {}, evSchema());
    const v = new View("V", { selectStatement: "SELECT 1", baseTables: [a] });
    const dv = new View("V", { selectStatement: "SELECT 2", baseTables: [], database: "x" });
    const mv = new MaterializedView<Ev>({
      materializedViewName: "MV",
      selectStatement: "SELECT * FROM A",
      selectTables: [a],
      targetTable: { name: "Target" },
    });
    expect([...getTables().keys()]).toEqual(["A", "B_2.0", "Target"]);
    expect(getTable("A")).toBe(a);
    expect(getTable("B_2.0")).toBe(b);
    expect(getTable("B")).toBeUndefined();
    expect(getTable("Target")).toBe(mv.targetTable);
    expect(getStream("S")).toBe(s);
    expect([...getViews().keys()]).toEqual(["V", "x::V"]);
    expect(getView("V")).toBe(v);
    expect(getView("V", "x")).toBe(dv);
    expect(getMaterializedView("MV")).toBe(mv);
    resetRegistry();
    expect(getTables().size).toBe(0);
  });

  it("APIs by name, name:version and path, as moose-lib resolves them", () => {
    const handler = () => Promise.resolve([]);
    const plain = new Api("plain", handler);
    const versioned = new ConsumptionApi("ver", handler, { version: "1" });
    const routed = new Api("routed", handler, { version: "2", path: "r" });
    expect(ConsumptionApi).toBe(Api);
    expect([...getApis().keys()]).toEqual(["plain", "ver:1", "routed:2", "r/2", "r"]);
    expect(getApi("plain")).toBe(plain);
    expect(getApi("ver")).toBe(versioned);
    expect(getApi("r")).toBe(routed);
    // A clash moose-lib refuses is ignored (APIs are not planned): the first one stays.
    expect(() => new Api("plain", handler)).not.toThrow();
    expect(getApi("plain")).toBe(plain);
  });
});

describe("IngestPipeline builds what moose-lib builds", () => {
  it("table, dead-letter queue, stream and ingest API, with moose-lib's names and configs", () => {
    const p = new IngestPipeline<Ev>(
      "Ev",
      {
        table: { orderByFields: ["id"], version: "0.9" },
        stream: { parallelism: 2 },
        ingestApi: true,
        deadLetterQueue: { retentionPeriod: 3600 },
        version: "1.0",
        lifeCycle: LifeCycle.DELETION_PROTECTED,
        path: "ingest/ev",
      },
      evSchema(),
    );
    expect(registry().resources.map((r) => `${r.kind}:${r.name}`)).toEqual([
      "OlapTable:Ev",
      "Stream:EvDeadLetterQueue",
      "Stream:Ev",
    ]);
    const [table, dlq, stream] = registry().resources;
    // The pipeline's version and lifecycle win over the parts' own, as in moose-lib.
    expect(table).toMatchObject({
      config: { orderByFields: ["id"], version: "1.0", lifeCycle: "DELETION_PROTECTED" },
    });
    expect(dlq).toMatchObject({
      config: { retentionPeriod: 3600, version: "1.0", lifeCycle: "DELETION_PROTECTED" },
      schema: { sourceFile: "dist/app/models.js", typeName: "DeadLetterModel" },
    });
    expect(
      dlq!.kind === "Stream" && dlq!.schema!.columns.map((c) => [c.name, c.data_type]),
    ).toEqual([
      ["originalRecord", "Json"],
      ["errorMessage", "String"],
      ["errorType", "String"],
      ["failedAt", "DateTime"],
      ["source", "String"],
    ]);
    expect(stream).toMatchObject({
      config: { parallelism: 2, version: "1.0", lifeCycle: "DELETION_PROTECTED" },
      schema: { typeName: "Ev" },
    });
    expect(p.table).toBe(getTable("Ev_1.0"));
    expect(p.deadLetterQueue).toBeInstanceOf(DeadLetterQueue);
    expect(p.deadLetterQueue!.name).toBe("EvDeadLetterQueue");
    expect(p.stream!.config.destination).toBe(p.table);
    expect(p.stream!.defaultDeadLetterQueue).toBe(p.deadLetterQueue);
    expect(p.ingestApi).toBe(getIngestApi("Ev"));
    expect(p.ingestApi!.config).toMatchObject({
      destination: p.stream,
      deadLetterQueue: p.deadLetterQueue,
      version: "1.0",
      path: "ingest/ev",
    });
    expect(getStreams().get("EvDeadLetterQueue")).toBe(p.deadLetterQueue);
  });

  it("`deadLetterQueue: true` gives a default queue; none without it", () => {
    new IngestPipeline<Ev>("A", { table: false, stream: true, deadLetterQueue: true }, evSchema());
    new IngestPipeline<Ev>("B", { table: true, stream: true }, evSchema());
    expect(registry().resources.map((r) => `${r.kind}:${r.name}`)).toEqual([
      "Stream:ADeadLetterQueue",
      "Stream:A",
      "OlapTable:B",
      "Stream:B",
    ]);
    expect(registry().resources[0]).toMatchObject({ config: { destination: undefined } });
    expect(registry().resources[2]).toMatchObject({ config: { engine: "MergeTree" } });
  });

  it("an existing queue object is spread as the new queue's config, as moose-lib does", () => {
    const mine = new DeadLetterQueue<Ev>("Mine", { parallelism: 3 });
    new IngestPipeline<Ev>("P", { table: false, stream: true, deadLetterQueue: mine }, evSchema());
    expect(registry().resources.map((r) => r.name)).toEqual(["Mine", "PDeadLetterQueue", "P"]);
    // The queue's own parallelism lives in its `config`, not at the top level: not carried over.
    const created = registry().resources[1]!;
    expect(created.kind === "Stream" && created.config.parallelism).toBeUndefined();
  });

  it("an ingest API without the stream is not created (moose-lib refuses it; not planned here)", () => {
    const p = new IngestPipeline<Ev>(
      "X",
      { table: true, stream: false, ingestApi: true },
      evSchema(),
    );
    expect(p.ingestApi).toBeUndefined();
    expect(registry().resources.map((r) => `${r.kind}:${r.name}`)).toEqual(["OlapTable:X"]);
  });
});

describe("Stream and DeadLetterQueue", () => {
  it("record transforms and consumers (one per version) with the default queue", () => {
    const dlq = new DeadLetterQueue<Ev>("dlq");
    const a = new Stream<Ev>("a", { defaultDeadLetterQueue: dlq }, evSchema());
    const b = new Stream<Ev>("b", {}, evSchema());
    a.addTransform(b, (r) => r);
    a.addTransform(b, (r) => [r, r]);
    a.addTransform(b, (r) => r, { version: "2" });
    a.addConsumer(() => {});
    a.addMultiTransform((r) => [b.routed(r)]);
    expect(a._transformations.get("b")!.map(([, , c]) => c.version)).toEqual([undefined, "2"]);
    expect(a._transformations.get("b")![0]![2].deadLetterQueue).toBe(dlq);
    expect(a._consumers).toHaveLength(1);
    expect(a.routed({ id: "x", at: new Date() }).destination).toBe(a);
    expect(dlq.columnArray.map((c) => c.name)).toEqual([
      "originalRecord",
      "errorMessage",
      "errorType",
      "failedAt",
      "source",
    ]);
    let seen: unknown;
    dlq.addConsumer((d) => {
      seen = d.asTyped();
    });
    const consumer = dlq._consumers[0]!.consumer;
    void consumer({
      originalRecord: { id: "1" },
      errorMessage: "",
      errorType: "",
      failedAt: new Date(),
      source: "api",
    });
    expect(seen).toEqual({ id: "1" });
  });

  it("send rejects with a clear message", async () => {
    const s = new Stream<Ev>("s", {}, evSchema());
    await expect(s.send({ id: "a", at: new Date() })).rejects.toThrow(
      "Stream.send is not available when the migration tool loads models",
    );
  });
});

describe("resources Moose runs are inert", () => {
  it("construct without side effects; runtime calls reject with a clear message", async () => {
    const client = new MooseClient(new QueryClient({}, "p"));
    await expect(client.query.execute(sql`SELECT 1`)).rejects.toThrow(
      "QueryClient.execute is not available when the migration tool loads models",
    );
    await expect(client.query.command(sql`SELECT 1`)).rejects.toThrow(NOT_AVAILABLE);
    await expect(client.workflow.execute("w", {})).rejects.toThrow(NOT_AVAILABLE);
    await expect(new WorkflowClient().terminate("w")).rejects.toThrow(NOT_AVAILABLE);
    await expect(getMooseUtils()).rejects.toThrow("getMooseUtils is not available");
    await expect(MooseCache.get()).rejects.toThrow("MooseCache.get is not available");
    await expect(tableStats(client.query, "t")).rejects.toThrow(NOT_AVAILABLE);
    const api = new Api<{ n: number }, number>("a", () => Promise.resolve(1));
    await expect(api.call("http://x", { n: 1 })).rejects.toThrow(NOT_AVAILABLE);
    expect(api.getHandler()).toBeTypeOf("function");
    const reporter = createTestReporter({ prefix: "p", outputDir: "/nonexistent" });
    expect(reporter.results.tests).toEqual({});
    await expect(reporter.flush()).rejects.toThrow(NOT_AVAILABLE);
    expect(cliLog({ action: "a", message: "m" })).toBeUndefined();
    expect(compilerLog("m")).toBeUndefined();
    const logger = {
      logPrefix: "",
      log: () => {},
      warn: () => {},
      error: () => {
        throw new Error("called");
      },
    };
    expect(() => logError(logger, new Error("x"))).not.toThrow();
  });

  it("workflows are recorded; graph checks are left to Moose", async () => {
    const a = new Task<null, number>("a", { run: () => Promise.resolve(1) });
    const b = new Task<number, void>("b", { run: () => Promise.resolve() });
    a.config.onComplete = [b];
    const w = new Workflow("w", { startingTask: a, schedule: "@every 5m" });
    expect(getWorkflow("w")).toBe(w);
    b.config.onComplete = [a];
    expect(() => new Workflow("loop", { startingTask: a })).not.toThrow();
    const etl = new ETLPipeline<number, number>("etl", {
      extract: () => {
        throw new Error("the source must not be touched while loading");
      },
      transform: (n) => Promise.resolve(n),
      load: () => Promise.resolve(),
    });
    expect(getWorkflow("etl")!.config.startingTask.name).toBe("etl_extract");
    await expect(etl.run()).rejects.toThrow(NOT_AVAILABLE);
  });

  it("web apps are recorded, framework apps untouched, mount paths not judged", async () => {
    const app = {
      handle: () => {
        throw new Error("must not be called");
      },
    };
    const w = new WebApp("w", app, { mountPath: "/health" });
    expect(getWebApp("w")).toBe(w);
    expect(w.getRawApp()).toBe(app);
    await expect(Promise.resolve(w.handler({}, {}))).rejects.toThrow(NOT_AVAILABLE);
  });
  it("constants have moose-lib's values; pure helpers work", async () => {
    expect([MOOSE_RLS_ROLE, ACKs, MAX_RETRIES, CSV_DELIMITERS.TAB]).toEqual([
      "moose_rls_role",
      -1,
      150,
      "\t",
    ]);
    expect(mooseRuntimeEnv.get("KEY")).toBe("__MOOSE_RUNTIME_ENV__:KEY");
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    await expect(parseCSV('a,b\n1,"x, ""y"""\n\n', { delimiter: "," })).resolves.toEqual([
      { a: "1", b: 'x, "y"' },
    ]);
    expect(parseJSONWithDates('{"at":"2024-01-02T03:04:05Z"}')[0].at).toBeInstanceOf(Date);
  });
});
