import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { migrate, migrationStatus } from "../../src/commands/migrate";
import type { RecreateTableDelta } from "../../src/core/deltas";
import { emptyInfraMap } from "../../src/core/infra-map";
import { recreateTableSql, renderDelta } from "../../src/core/render-sql";
import { MooseError } from "../../src/errors";
import type { ApplyEvent } from "../../src/runtime/apply";
import { Journal } from "../../src/runtime/journal";
import { readMigrations, type StoredMigration } from "../../src/runtime/migration-store";
import { makeProject } from "../support/golden";
import { gen, mig, opts, recorder, setModel, withEngine } from "../support/run";

const rows = <T>(db: string, sql: string) =>
  withEngine((ch) => ch.query<T>(sql.replace(/\$db/g, db)));
const exec = (db: string, ...sqls: string[]) =>
  withEngine(async (ch) => {
    for (const s of sqls) await ch.command(s.replace(/\$db/g, db), { waitForMutation: true });
  });

/** Row count and a checksum over the given column expressions (values compared as text). */
const fingerprint = async (db: string, table: string, columns: string) => {
  const [r] = await rows<{ n: string; h: string }>(
    db,
    `SELECT toString(count()) AS n, toString(sum(cityHash64(${columns}))) AS h FROM $db.${table}`,
  );
  return r!;
};

/** Tables the recreate uses besides the table itself (none must be left behind). */
const leftovers = (db: string) =>
  rows<{ name: string }>(
    db,
    "SELECT name FROM system.tables WHERE database = '$db' AND name LIKE '%moose_recreate%'",
  );

const tableComment = async (db: string, table: string) =>
  (
    await rows<{ comment: string }>(
      db,
      `SELECT comment FROM system.tables WHERE database = '$db' AND name = '${table}'`,
    )
  )[0]?.comment;

const columnType = async (db: string, table: string, column: string) =>
  (
    await rows<{ type: string }>(
      db,
      `SELECT type FROM system.columns WHERE database = '$db' AND table = '${table}' AND name = '${column}'`,
    )
  )[0]?.type;

const failureOf = (p: Promise<unknown>): Promise<MooseError> =>
  p.then(
    () => {
      throw new Error("expected the migration to fail");
    },
    (e: unknown) => {
      if (!(e instanceof MooseError)) throw e;
      return e;
    },
  );

const model = (opts: { idType: string; order: string; partition?: string }) => `
import { OlapTable, Key, Int32, Int64 } from "@514labs/moose-lib";
export interface T { id: Key<${opts.idType}>; name: string; ts: Date; score: number }
export const TT = new OlapTable<T>("T", { orderByFields: [${opts.order}]${opts.partition ? `, partitionBy: "${opts.partition}"` : ""} });
`;

/** 3000 rows over 150 days: a daily-partitioned table gets 150 partitions (over the default limit of 100) from one copy block. */
const SEED =
  "INSERT INTO $db.T SETTINGS max_partitions_per_insert_block = 0 SELECT toInt32(number), concat('n', toString(number)), toDateTime('2024-01-01 00:00:00', 'UTC') + number * 4320, number / 3 FROM numbers(3000)";
const COLUMNS = "toString(id), name, ts, score";

const lastFile = (root: string): StoredMigration => readMigrations(root).at(-1)!;

describe("RecreateTable keeps the rows", () => {
  it("an ORDER BY change and a key column's type change copy every row, and converge", async () => {
    const db = "recreate_db";
    const root = makeProject({
      dbName: db,
      model: model({ idType: "Int32", order: '"id"', partition: "toYYYYMMDD(ts)" }),
    });
    await gen(root);
    await mig(root);
    await exec(db, SEED);
    const before = await fingerprint(db, "T", COLUMNS);
    expect(before.n).toBe("3000");

    // ORDER BY (id) → (id, ts).
    setModel(root, model({ idType: "Int32", order: '"id", "ts"', partition: "toYYYYMMDD(ts)" }));
    const orderBy = await gen(root);
    expect(orderBy.file!.deltas.map((d) => d.type)).toEqual(["RecreateTable"]);
    expect(orderBy.approvedDestructive).toEqual([
      "DROP + RECREATE `T` (schema change requires drop + recreate: ORDER BY changed; rows are copied into the new table)",
    ]);
    const events: ApplyEvent[] = [];
    await migrate(opts(root), (e) => events.push(e));
    expect(events.filter((e) => e.kind === "copy")).toEqual([
      { kind: "copy", id: orderBy.file!.id, table: "T", rows: 3000 },
    ]);
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    expect(await leftovers(db)).toEqual([]);
    expect(await tableComment(db, "T")).toBe("");
    expect((await gen(root, { save: false })).status).toBe("no-changes");

    // The type of a key column: Int32 → Int64 (ClickHouse refuses this ALTER).
    setModel(root, model({ idType: "Int64", order: '"id", "ts"', partition: "toYYYYMMDD(ts)" }));
    const keyType = await gen(root);
    expect(keyType.file!.deltas.map((d) => d.type)).toEqual(["RecreateTable"]);
    expect(keyType.approvedDestructive[0]).toContain(
      "type of key column 'id' changed (Int32 → Int64)",
    );
    await mig(root);
    expect(await columnType(db, "T", "id")).toBe("Int64");
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    expect(await leftovers(db)).toEqual([]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
    expect(await migrationStatus(opts(root))).toMatchObject({ pending: [], drift: [] });
  });

  it("String → Int32 on a key column: parseable data is converted; a row that is not stops before anything is dropped", async () => {
    const db = "recreate_cast_db";
    const root = makeProject({ dbName: db, model: model({ idType: "string", order: '"id"' }) });
    await gen(root);
    await mig(root);
    await exec(
      db,
      "INSERT INTO $db.T SELECT toString(number), 'n', toDateTime('2024-01-01 00:00:00', 'UTC'), 1 FROM numbers(1000)",
      "INSERT INTO $db.T VALUES ('abc', 'bad', '2024-01-01 00:00:00', 2)",
    );
    const before = await fingerprint(db, "T", COLUMNS);
    setModel(root, model({ idType: "Int32", order: '"id"' }));
    const file = (await gen(root)).file!;
    expect(file.deltas.map((d) => d.type)).toEqual(["RecreateTable"]);

    // The precheck counts the row first; approved, the copy itself refuses it.
    expect((await failureOf(mig(root))).code).toBe("DATA_LOSS_RISK");
    const err = await failureOf(
      migrate(opts(root), () => undefined, { acceptDataLoss: [file.id] }),
    );
    expect(err.code).toBe("RECREATE_COPY_FAILED");
    expect(err.message).toContain(
      `Migration '${file.id}' failed at delta 1/1 (Recreate table 'T')`,
    );
    expect(err.message).toContain("CANNOT_PARSE_TEXT (code 6)");
    expect(err.message).toContain("Cannot parse string 'abc' as Int32");
    expect(err.message).toContain("'T' is unchanged with all its rows");
    expect(err.message).toContain("No delta of this file ran; failed: 1.");
    expect(err.hint).toContain("accurateCastOrNull(`id`, 'Int32') IS NULL");
    expect(err.hint).toMatch(
      /run `moose migrate --clickhouse-url chdb:\/\/[^`]+` again \(it resumes at delta 1\)/,
    );
    expect(err.hint).toContain(`\`rm migrations/${file.id}.yaml\``);
    expect(err.hint).toMatch(/`moose generate migration --save --clickhouse-url chdb:\/\/[^`]+`/);
    expect(err.details).toMatchObject({
      migration: file.id,
      failedDelta: 1,
      completed: 0,
      notRun: [],
      clickhouseCode: "CANNOT_PARSE_TEXT",
      clickhouseErrorNumber: 6,
      table: `${db}.T`,
      rows: 1001,
    });
    // The old table is intact, nothing is left behind.
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    expect(await columnType(db, "T", "id")).toBe("String");
    expect(await leftovers(db)).toEqual([]);
    expect((await migrationStatus(opts(root))).incomplete).toEqual([file.id]);

    // A table under the temporary name that the tool did not make is never touched.
    await exec(db, "CREATE TABLE $db.T__moose_recreate (x Int8) ENGINE = MergeTree ORDER BY x");
    const foreign = await failureOf(
      migrate(opts(root), () => undefined, { acceptDataLoss: [file.id] }),
    );
    expect(foreign.message).toContain(`a table '${db}.T__moose_recreate' exists`);
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    await exec(db, "DROP TABLE $db.T__moose_recreate");

    // Fixed data: the rerun resumes at the recreate and converts every remaining row.
    await exec(db, "ALTER TABLE $db.T DELETE WHERE id = 'abc'");
    const fixed = await fingerprint(db, "T", COLUMNS);
    expect((await mig(root)).applied).toEqual([file.id]);
    expect(await columnType(db, "T", "id")).toBe("Int32");
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(fixed);
    expect(fixed.n).toBe("1000");
    expect(await leftovers(db)).toEqual([]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});

/**
 * A process killed between two statements of a recreate: the journal says the file started and
 * the delta is not done; the statements before the crash ran. The next migrate reruns the delta.
 */
const crashAfter = async (
  db: string,
  migration: StoredMigration,
  statements: string[],
  settings: Record<string, number> = {},
): Promise<void> =>
  withEngine(async (ch) => {
    const journal = new Journal(ch, db, "_moose_migrations");
    await journal.append({
      migration_id: migration.file.id,
      parent_state_hash: migration.file.parent_state_hash,
      file_checksum: migration.checksum,
      state_hash: "",
      event: "started",
      op_index: -1,
      detail: "",
    });
    for (const s of statements) await ch.command(s, { waitForMutation: true, settings });
  });

describe("a recreate interrupted at any step is finished by the next migrate, rows counted once", () => {
  const db = "recreate_resume_db";
  const orders = ['"id"', '"id", "ts"'];
  const root = makeProject({ dbName: db, model: model({ idType: "Int32", order: orders[0]! }) });
  let before: { n: string; h: string };
  let step = 0;

  /** The next recreate (ORDER BY flips), saved but not applied. */
  const nextRecreate = async (): Promise<StoredMigration> => {
    setModel(root, model({ idType: "Int32", order: orders[++step % 2]! }));
    const file = (await gen(root)).file!;
    expect(file.deltas.map((d) => d.type)).toEqual(["RecreateTable"]);
    return lastFile(root);
  };
  const converged = async (migration: StoredMigration) => {
    expect((await mig(root)).applied).toEqual([migration.file.id]);
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    expect(await leftovers(db)).toEqual([]);
    expect(await tableComment(db, "T")).toBe("");
    expect(await migrationStatus(opts(root))).toMatchObject({ pending: [], incomplete: [] });
  };

  it("setup", async () => {
    await gen(root);
    await mig(root);
    await exec(db, SEED);
    before = await fingerprint(db, "T", COLUMNS);
  });

  // The statements of a fresh recreate: create temp, copy, exchange, drop old, clear marker.
  for (const k of [0, 1, 2, 3, 4, 5]) {
    it(`after ${k} of its 5 statements`, async () => {
      const migration = await nextRecreate();
      const delta = migration.file.deltas[0]!;
      const statements = renderDelta(delta, emptyInfraMap(db)).map((s) => s.sql);
      expect(statements).toHaveLength(5);
      await crashAfter(db, migration, statements.slice(0, k));
      await converged(migration);
    });
  }

  it("in the middle of the copy (part of the rows inserted)", async () => {
    const migration = await nextRecreate();
    const sql = recreateTableSql(migration.file.deltas[0] as RecreateTableDelta, db);
    await crashAfter(db, migration, [sql.createTemp, `${sql.copy!} WHERE id < 1000`]);
    const [partial] = await rows<{ n: string }>(
      db,
      "SELECT toString(count()) AS n FROM $db.T__moose_recreate",
    );
    expect(partial!.n).toBe("1000");
    await converged(migration);
  });
});

describe("databases without EXCHANGE (Ordinary) swap with two RENAMEs", () => {
  it("recreates, and finishes a swap interrupted between its renames", async () => {
    const db = "recreate_ordinary_db";
    await withEngine((ch) =>
      ch.command(`CREATE DATABASE ${db} ENGINE = Ordinary`, {
        settings: { allow_deprecated_database_ordinary: 1 },
      }),
    );
    const root = makeProject({ dbName: db, model: model({ idType: "Int32", order: '"id"' }) });
    await gen(root);
    await mig(root);
    await exec(db, SEED);
    const before = await fingerprint(db, "T", COLUMNS);

    setModel(root, model({ idType: "Int32", order: '"id", "ts"' }));
    await gen(root);
    const rec = recorder();
    await mig(root, rec);
    expect(rec.commands.some((c) => c.startsWith("EXCHANGE"))).toBe(false);
    expect(rec.commands).toContain(
      `RENAME TABLE \`${db}\`.\`T\` TO \`${db}\`.\`T__moose_recreate_old\`, \`${db}\`.\`T__moose_recreate\` TO \`${db}\`.\`T\``,
    );
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    expect(await leftovers(db)).toEqual([]);

    setModel(root, model({ idType: "Int64", order: '"id", "ts"' }));
    await gen(root);
    const migration = lastFile(root);
    const sql = recreateTableSql(migration.file.deltas[0] as RecreateTableDelta, db);
    await crashAfter(db, migration, [
      sql.createTemp,
      sql.copy!,
      `RENAME TABLE \`${db}\`.\`T\` TO \`${db}\`.\`T__moose_recreate_old\``,
    ]);
    expect((await mig(root)).applied).toEqual([migration.file.id]);
    expect(await columnType(db, "T", "id")).toBe("Int64");
    expect(await fingerprint(db, "T", COLUMNS)).toEqual(before);
    expect(await leftovers(db)).toEqual([]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});

describe("a materialized view whose new SELECT fails is put back", () => {
  const mvModel = (select: string) => `
import { OlapTable, Key, Float64, ClickHouseEngines, MaterializedView } from "@514labs/moose-lib";
export interface Sale { id: Key<string>; cat: string; amount: Float64 }
export const SaleTable = new OlapTable<Sale>("Sale", { orderByFields: ["id"] });
export interface CatTotal { cat: string; total: Float64 }
export const CatTotalTable = new OlapTable<CatTotal>("CatTotal", { engine: ClickHouseEngines.SummingMergeTree, orderByFields: ["cat"] });
export const MV = new MaterializedView<CatTotal>({ materializedViewName: "CatTotal_mv", selectStatement: "${select}", selectTables: [SaleTable], targetTable: CatTotalTable });
`;
  const mvSelect = (db: string) =>
    rows<{ s: string }>(
      db,
      "SELECT as_select AS s FROM system.tables WHERE database = '$db' AND name = 'CatTotal_mv'",
    );
  const total = async (db: string) =>
    (await rows<{ t: number }>(db, "SELECT sum(total) AS t FROM $db.CatTotal"))[0]!.t;

  it("the old view stays in place; fixing the cause resumes, regenerating works too", async () => {
    const db = "recreate_mv_db";
    const root = makeProject({
      dbName: db,
      model: mvModel("SELECT cat, sum(amount) AS total FROM Sale GROUP BY cat"),
    });
    await gen(root);
    await mig(root);

    // The new SELECT reads a table that does not exist: ClickHouse rejects the CREATE.
    setModel(root, mvModel("SELECT cat, sum(amount) AS total FROM Missing GROUP BY cat"));
    // Written offline: with the database at hand, generate would refuse the SELECT itself.
    const file = (await gen(root, { clickhouseUrl: "" })).file!;
    expect(file.deltas.map((d) => d.type)).toEqual([
      "DropMaterializedView",
      "CreateMaterializedView",
    ]);
    const err = await failureOf(mig(root));
    expect(err.code).toBe("APPLY_FAILED");
    expect(err.message).toContain(`failed at delta 2/2 (Create materialized view 'CatTotal_mv')`);
    expect(err.message).toContain("UNKNOWN_TABLE (code 60)");
    expect(err.message).toContain("The previous definition of 'CatTotal_mv' was put back");
    expect(err.message).toContain("No delta of this file ran; failed: 2; not run: 1.");
    expect(err.hint).toContain("it resumes at delta 1");
    expect(err.details).toMatchObject({ failedDelta: 2, completed: 0, notRun: [1] });
    expect((await mvSelect(db))[0]!.s).toContain("Sale");
    // …and it still works.
    await exec(db, "INSERT INTO $db.Sale VALUES ('1', 'a', 10)");
    expect(await total(db)).toBe(10);

    // (a) Fix the cause and migrate again: the drop runs again, then the create.
    await exec(
      db,
      "CREATE TABLE $db.Missing (cat String, amount Float64) ENGINE = MergeTree ORDER BY cat",
    );
    const rec = recorder();
    expect((await mig(root, rec)).applied).toEqual([file.id]);
    expect(rec.commands.some((c) => c.startsWith("DROP VIEW IF EXISTS"))).toBe(true);
    expect((await mvSelect(db))[0]!.s).toContain("Missing");

    // (b) Remove the unapplied file, fix the model, regenerate, migrate.
    setModel(root, mvModel("SELECT cat, sum(amount) AS total FROM Nope GROUP BY cat"));
    const bad = (await gen(root, { clickhouseUrl: "" })).file!;
    const again = await failureOf(mig(root));
    expect(again.message).toContain("was put back");
    expect(again.hint).toContain(`\`rm migrations/${bad.id}.yaml\``);
    expect((await mvSelect(db))[0]!.s).toContain("Missing");
    fs.rmSync(lastFile(root).path);
    setModel(root, mvModel("SELECT cat, sum(amount) * 2 AS total FROM Sale GROUP BY cat"));
    await gen(root);
    expect((await mig(root)).applied).toHaveLength(1);
    expect((await mvSelect(db))[0]!.s).toContain("* 2");
    await exec(db, "INSERT INTO $db.Sale VALUES ('2', 'a', 5)");
    expect(await total(db)).toBe(20);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});

describe("dropping columns an index or a projection reads", () => {
  it("drops the index and the projection first (ClickHouse refuses the column drop before)", async () => {
    const db = "recreate_dropcol_db";
    const withExtras = (extras: boolean) => `
import { OlapTable, Key } from "@514labs/moose-lib";
export interface T { id: Key<string>; ${extras ? "x: number; y: string;" : ""} }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"]${extras ? `, indexes: [{ name: "ix", expression: "x", type: "minmax", granularity: 1 }], projections: [{ name: "by_y", body: "SELECT y, count() GROUP BY y" }]` : ""} });
`;
    const root = makeProject({ dbName: db, model: withExtras(true) });
    await gen(root);
    await mig(root);
    await exec(db, "INSERT INTO $db.T VALUES ('a', 1, 'u'), ('b', 2, 'v')");
    setModel(root, withExtras(false));
    const file = (await gen(root)).file!;
    expect(file.deltas.map((d) => d.type)).toEqual([
      "DropTableIndex",
      "DropTableProjection",
      "DropTableColumn",
      "DropTableColumn",
    ]);
    await mig(root);
    expect(await rows(db, "SELECT id FROM $db.T ORDER BY id")).toEqual([{ id: "a" }, { id: "b" }]);
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});
