import { describe, expect, it } from "vitest";
import { MooseError } from "../../src/errors";
import { readMigrations } from "../../src/runtime/migration-store";
import { migrate, validateMigrations } from "../../src/commands/migrate";
import { PassThrough } from "node:stream";
import { createDecisions } from "../../src/ui/decisions";
import { createOutput } from "../../src/ui/output";
import { makeProject } from "../support/golden";
import { approveAll, gen, mig, opts, setModel, withEngine } from "../support/run";

const quiet = createOutput(true, new PassThrough(), new PassThrough());

const rows = <T>(db: string, sql: string) =>
  withEngine((ch) => ch.query<T>(sql.replace(/\$db/g, db)));
const exec = (db: string, ...sqls: string[]) =>
  withEngine(async (ch) => {
    for (const s of sqls) await ch.command(s.replace(/\$db/g, db));
  });

const HAND_MODEL = `
import {
  OlapTable, Key, LowCardinality, DateTime64, Decimal, UInt32, UInt64, Float64,
  ClickHouseDefault, ClickHouseMaterialized, ClickHouseAlias, ClickHouseTTL, ClickHouseCodec,
  ClickHouseNamedTuple, ClickHouseEngines, MaterializedView, View,
} from "@514labs/moose-lib";
import { tags } from "typia";

export enum Status { ACTIVE = "active", INACTIVE = "inactive" }
export interface Address { street: string; zip: number }
export interface Pt { x: Float64; y: Float64 }
export interface Ev {
  id: Key<string>;
  ts: DateTime64<3>;
  kind: string & LowCardinality;
  status: Status;
  price: Decimal<10, 2>;
  /** free-form note */
  note?: string;
  tags: string[];
  maybe: (string | null)[];
  attrs: Record<string, number>;
  address: Address;
  point: Pt & ClickHouseNamedTuple;
  region: string & ClickHouseDefault<"'us'">;
  up: string & ClickHouseMaterialized<"upper(kind)">;
  len: UInt64 & ClickHouseAlias<"length(kind)">;
  debug: string & ClickHouseTTL<"toDateTime(ts) + INTERVAL 7 DAY">;
  blob: string & ClickHouseCodec<"ZSTD(3)">;
  uid: string & tags.Format<"uuid">;
  ip: string & tags.Format<"ipv4">;
  day: string & tags.Format<"date">;
  cnt: UInt32 & ClickHouseDefault<"0">;
}
export const EvT = new OlapTable<Ev>("Ev", {
  orderByFields: ["id"],
  partitionBy: "toYYYYMM(ts)",
  ttl: "toDateTime(ts) + INTERVAL 90 DAY",
  settings: { merge_with_ttl_timeout: "3600" },
  indexes: [{ name: "idx_kind", expression: "kind", type: "set", arguments: ["100"], granularity: 4 }],
  projections: [{ name: "p_kind", body: "SELECT kind, count() GROUP BY kind" }],
});
export interface R { id: Key<string>; ver: UInt64; v?: number }
export const RT = new OlapTable<R>("R", { engine: ClickHouseEngines.ReplacingMergeTree, ver: "ver", orderByFields: ["id"] });
export interface K { kind: string; n: UInt64 }
export const KT = new OlapTable<K>("K", { engine: ClickHouseEngines.SummingMergeTree, orderByFields: ["kind"] });
export const KMV = new MaterializedView<K>({
  materializedViewName: "KMV",
  selectStatement: "SELECT kind, count() AS n FROM Ev GROUP BY kind",
  selectTables: [EvT],
  targetTable: KT,
});
export const V = new View("V", { selectStatement: "SELECT id, kind FROM Ev WHERE cnt > 0", baseTables: [EvT] });
`;

describe("ClickHouse features against the embedded engine", () => {
  it("a schema written by hand in ClickHouse's own spellings produces no deltas", async () => {
    const db = "hand_db";
    const root = makeProject({ dbName: db, model: HAND_MODEL });
    await exec(
      db,
      "CREATE DATABASE IF NOT EXISTS $db",
      `CREATE TABLE $db.Ev (
        id String, ts DateTime64(3), kind LowCardinality(String),
        status Enum8('active' = 1, 'inactive' = 2), price Decimal(10, 2),
        note Nullable(String) COMMENT 'free-form note', tags Array(String), maybe Array(Nullable(String)),
        attrs Map(String, Float64), address Nested(street String, zip Float64),
        point Tuple(x Float64, y Float64), region String DEFAULT 'us',
        up String MATERIALIZED upper(kind), len UInt64 ALIAS length(kind),
        debug String TTL toDateTime(ts) + toIntervalDay(7), blob String CODEC(ZSTD(3)),
        uid UUID, ip IPv4, day Date32, cnt UInt32 DEFAULT 0,
        INDEX idx_kind kind TYPE set(100) GRANULARITY 4,
        PROJECTION p_kind (SELECT kind, count() GROUP BY kind)
      ) ENGINE = MergeTree PRIMARY KEY id ORDER BY id PARTITION BY toYYYYMM(ts)
        TTL toDateTime(ts) + toIntervalDay(90) SETTINGS merge_with_ttl_timeout = 3600`,
      "CREATE TABLE $db.R (id String, ver UInt64, v Nullable(Float64)) ENGINE = ReplacingMergeTree(ver) ORDER BY id",
      "CREATE TABLE $db.K (kind String, n UInt64) ENGINE = SummingMergeTree ORDER BY kind",
      "CREATE MATERIALIZED VIEW $db.KMV TO $db.K AS SELECT kind, COUNT() AS n FROM $db.Ev GROUP BY kind",
      "CREATE VIEW $db.V AS select id, kind from $db.Ev where cnt>0",
    );
    const result = await gen(root, { save: false });
    expect(result.base).toBe("live");
    expect(result.deltas).toEqual([]);
    expect(result.status).toBe("no-changes");
    // Control: a real difference is still seen (after the records of the adopted objects).
    setModel(root, HAND_MODEL.replace("cnt > 0", "cnt > 1"));
    expect((await gen(root, { save: false })).deltas.map((d) => d.type).slice(-2)).toEqual([
      "DropView",
      "CreateView",
    ]);
    // The adopted objects count as covered: migrate has nothing to refuse (it used to stop
    // with UNMIGRATED_CHANGES, since no committed file creates them).
    setModel(root, HAND_MODEL);
    expect((await mig(root)).applied).toEqual([]);
    // The first file that changes anything records the adopted objects first (as creates that
    // migrate finds already present), so it and every later file fold.
    setModel(root, HAND_MODEL.replace("cnt > 0", "cnt > 1"));
    const change = await gen(root);
    expect(change.deltas.map((d) => d.type)).toEqual([
      "CreateTable",
      "CreateTable",
      "CreateTable",
      "CreateView",
      "CreateMaterializedView",
      "DropView",
      "CreateView",
    ]);
    expect(change.records).toBe(5);
    expect((await validateMigrations({ root, env: {} })).files).toHaveLength(1);
    expect((await mig(root)).applied).toHaveLength(1);
    expect(
      await rows<{ c: string }>(
        db,
        "SELECT as_select AS c FROM system.tables WHERE database = '$db' AND name = 'V'",
      ),
    ).toEqual([{ c: expect.stringContaining("cnt > 1") }]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
    setModel(root, HAND_MODEL.replace("cnt > 0", "cnt > 2"));
    expect((await gen(root)).deltas.map((d) => d.type)).toEqual(["DropView", "CreateView"]);
    await mig(root);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("a type change ClickHouse cannot cast is reported, its mutation killed, the table left as it was", async () => {
    const db = "cast_db";
    const model = (t: string) => `import { OlapTable, Key, Int64 } from "@514labs/moose-lib";
export interface T { id: Key<string>; v: ${t} }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"] });`;
    const root = makeProject({ dbName: db, model: model("string") });
    await gen(root);
    await mig(root);
    await exec(db, "INSERT INTO $db.T VALUES ('a', '1'), ('b', 'not a number')");
    setModel(root, model("Int64"));
    const { file } = await gen(root);
    // The precheck counts the value first; approved, ClickHouse's own cast refuses it.
    expect(((await mig(root).catch((e: unknown) => e)) as MooseError).code).toBe("DATA_LOSS_RISK");
    const err = await migrate(opts(root), () => undefined, { acceptDataLoss: [file!.id] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MooseError);
    expect((err as MooseError).code).toBe("TYPE_CHANGE_FAILED");
    expect((err as MooseError).message).toMatch(/Cannot parse string 'not a number' as Int64/);
    expect((err as MooseError).message).toMatch(/column is back to its previous type/);
    const cols = await rows<{ type: string }>(
      db,
      "SELECT type FROM system.columns WHERE database = '$db' AND table = 'T' AND name = 'v'",
    );
    expect(cols).toEqual([{ type: "String" }]);
    const [stuck] = await rows<{ n: number }>(
      db,
      "SELECT count() AS n FROM system.mutations WHERE database = '$db' AND NOT is_done",
    );
    expect(Number(stuck!.n)).toBe(0);
    expect(await rows(db, "SELECT id, v FROM $db.T ORDER BY id")).toEqual([
      { id: "a", v: "1" },
      { id: "b", v: "not a number" },
    ]);
  });

  it("a rename is applied as RENAME COLUMN (data kept); with another change, rename then modify", async () => {
    const db = "rename_db";
    const model = (cols: string) => `import { OlapTable, Key } from "@514labs/moose-lib";
export interface T { id: Key<string>; ${cols} }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"] });`;
    const root = makeProject({ dbName: db, model: model("user_id: string; score: number;") });
    await gen(root);
    await mig(root);
    await exec(db, "INSERT INTO $db.T VALUES ('a', 'u1', 1.5)");
    setModel(root, model("uid: string;\n  /** points */\n  scores: number;"));
    const r = await gen(root);
    expect(r.file!.deltas.map((d) => d.type)).toEqual([
      "RenameTableColumn",
      "RenameTableColumn",
      "ModifyTableColumn",
    ]);
    await mig(root);
    expect(await rows(db, "SELECT id, uid, scores FROM $db.T")).toEqual([
      { id: "a", uid: "u1", scores: 1.5 },
    ]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("renames without an answer stop a non-interactive run (exit 3) and name the candidates", async () => {
    const db = "rename_ask_db";
    const root = makeProject({
      dbName: db,
      model: `import { OlapTable, Key } from "@514labs/moose-lib";
export interface T { id: Key<string>; user_id: string }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"] });`,
    });
    await gen(root);
    setModel(
      root,
      `import { OlapTable, Key } from "@514labs/moose-lib";
export interface T { id: Key<string>; uid: string }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"] });`,
    );
    const decisions = createDecisions({}, {}, quiet, false);
    const err = (await gen(root, {}, decisions).catch((e: unknown) => e)) as MooseError;
    expect(err.code).toBe("DECISION_NEEDED");
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/rename column T\.user_id → uid/);
    expect(err.details).toMatchObject({
      decisions: [{ id: "rename:T.user_id->uid", kind: "rename" }, { kind: "destructive" }],
    });
    const yes = createDecisions({ yesRename: true }, {}, quiet, false);
    expect((await gen(root, { save: false }, yes)).deltas.map((d) => d.type)).toEqual([
      "RenameTableColumn",
    ]);
  });

  it("a version bump creates the new table, backfills it, then drops the old one", async () => {
    const db = "bump_db";
    const model = (v: string) => `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Ver { id: Key<string>; name: string }
export const VerTable = new OlapTable<Ver>("Ver", { orderByFields: ["id"], version: "${v}" });`;
    const root = makeProject({ dbName: db, model: model("1.0") });
    await gen(root);
    await mig(root);
    await exec(db, "INSERT INTO $db.Ver_1_0 VALUES ('a', 'x'), ('b', 'y')");
    setModel(root, model("2.0"));
    // Without --yes-all a non-interactive run is refused, as Moose does.
    const err = (await gen(root, {}, createDecisions({}, {}, quiet, false)).catch(
      (e: unknown) => e,
    )) as MooseError;
    expect(err.code).toBe("DECISION_NEEDED");
    expect(err.hint).toMatch(/--yes-all/);
    const noBackfill = await gen(root, { save: false, autoBackfill: false } as never);
    expect(noBackfill.deltas.map((d) => d.type)).toEqual(["CreateTable", "DropTable"]);
    const r = await gen(root, {}, approveAll);
    expect(r.file!.deltas.map((d) => d.type)).toEqual([
      "CreateTable",
      "BackfillTable",
      "DropTable",
    ]);
    await mig(root);
    expect(await rows(db, "SELECT id, name FROM $db.Ver_2_0 ORDER BY id")).toEqual([
      { id: "a", name: "x" },
      { id: "b", name: "y" },
    ]);
    expect(
      await rows(db, "SELECT name FROM system.tables WHERE database = '$db' AND name LIKE 'Ver%'"),
    ).toEqual([{ name: "Ver_2_0" }]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("views and materialized views: created after their tables, changed by drop + create, dropped first", async () => {
    const db = "views_db";
    const model = (
      select: string,
      withMv: boolean,
    ) => `import { OlapTable, Key, Float64, ClickHouseEngines, MaterializedView, View } from "@514labs/moose-lib";
export interface Sale { id: Key<string>; cat: string; amount: Float64 }
export const SaleTable = new OlapTable<Sale>("Sale", { orderByFields: ["id"] });
export interface CatTotal { cat: string; total: Float64 }
export const CatTotalTable = new OlapTable<CatTotal>("CatTotal", { engine: ClickHouseEngines.SummingMergeTree, orderByFields: ["cat"] });
${withMv ? `export const MV = new MaterializedView<CatTotal>({ materializedViewName: "CatTotal_mv", selectStatement: "SELECT cat, sum(amount) AS total FROM Sale GROUP BY cat", selectTables: [SaleTable], targetTable: CatTotalTable });` : ""}
export const Big = new View("BigSales", { selectStatement: "${select}", baseTables: [SaleTable] });`;
    const root = makeProject({
      dbName: db,
      model: model("SELECT id, amount FROM Sale WHERE amount > 100", true),
    });
    const first = await gen(root);
    expect(first.file!.deltas.map((d) => d.type)).toEqual([
      "CreateTable",
      "CreateTable",
      "CreateMaterializedView",
      "CreateView",
    ]);
    await mig(root);
    await exec(db, "INSERT INTO $db.Sale VALUES ('1', 'a', 150), ('2', 'a', 50)");
    expect(await rows(db, "SELECT cat, sum(total) AS t FROM $db.CatTotal GROUP BY cat")).toEqual([
      { cat: "a", t: 200 },
    ]);
    expect(await rows(db, "SELECT id FROM $db.BigSales")).toEqual([{ id: "1" }]);
    // Formatting-only edits are no change.
    setModel(root, model("select id,amount   from Sale where amount>100", true));
    expect((await gen(root, { save: false })).status).toBe("no-changes");
    setModel(root, model("SELECT id, amount FROM Sale WHERE amount > 10", false));
    const second = await gen(root);
    const types = second.file!.deltas.map((d) => d.type);
    expect(types.slice(0, 2).sort()).toEqual(["DropMaterializedView", "DropView"]);
    expect(types.slice(2)).toEqual(["CreateView"]);
    await mig(root);
    const [big] = await rows<{ n: number }>(db, "SELECT count() AS n FROM $db.BigSales");
    expect(Number(big!.n)).toBe(2);
    expect(
      await rows(
        db,
        "SELECT name FROM system.tables WHERE database = '$db' AND engine = 'MaterializedView'",
      ),
    ).toEqual([]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });

  it("settings, TTL, index, projection and SAMPLE BY changes are applied in place and converge", async () => {
    const db = "alter_db";
    const model = (cfg: string) => `import { OlapTable, UInt64, Float64 } from "@514labs/moose-lib";
export interface F { id: UInt64; ts: Date; amount: Float64 }
export const FT = new OlapTable<F>("F", { orderByExpression: "(id, ts)", ${cfg} });`;
    const root = makeProject({
      dbName: db,
      model: model(`settings: { merge_with_ttl_timeout: "3600" }, ttl: "ts + INTERVAL 90 DAY"`),
    });
    await gen(root);
    await mig(root);
    await exec(db, "INSERT INTO $db.F VALUES (1, now(), 2.5)");
    setModel(
      root,
      model(`settings: { merge_with_ttl_timeout: "7200", ttl_only_drop_parts: "1" }, ttl: "ts + INTERVAL 30 DAY",
        sampleByExpression: "id",
        indexes: [{ name: "i_amount", expression: "amount", type: "minmax", granularity: 1 }],
        projections: [{ name: "p", body: "SELECT id, sum(amount) GROUP BY id" }]`),
    );
    const r = await gen(root);
    expect(r.file!.deltas.map((d) => d.type).sort()).toEqual(
      [
        "AddTableIndex",
        "AddTableProjection",
        "ModifySampleBy",
        "ModifyTableSettings",
        "ModifyTableTtl",
      ].sort(),
    );
    await mig(root);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
    // And back: settings reset, TTL removed, index and projection dropped, sampling removed.
    setModel(root, model(`settings: {}`));
    const back = await gen(root);
    expect(back.file!.deltas.map((d) => d.type).sort()).toEqual(
      [
        "DropTableIndex",
        "DropTableProjection",
        "ModifyTableSettings",
        "ModifyTableTtl",
        "RemoveSampleBy",
      ].sort(),
    );
    await mig(root);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
    expect(await rows(db, "SELECT toString(id) AS id, amount FROM $db.F")).toEqual([
      { id: "1", amount: 2.5 },
    ]);
    expect(readMigrations(root)).toHaveLength(3);
  });
});
