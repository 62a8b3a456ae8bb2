import { randomBytes } from "node:crypto";
import {
  clickhouseFailure,
  describeClickHouseFailure,
  type ClickHouseFailure,
  type ClickHousePort,
} from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { deltaTableIdIn, type Delta } from "../core/deltas";
import {
  engineName,
  tableDatabase,
  viewId,
  type InfraMap,
  type MaterializedView,
  type Table,
  type View,
} from "../core/infra-map";
import { requalify } from "../core/normalize";
import { renderCreateTable } from "../core/render-sql";
import { qualified, quoteIdent, unquoteToken } from "../core/sql-quote";
import { userFacingName } from "../core/reconcile";

/** What ClickHouse itself checked before a file was written, and what it could not. */
export interface DdlCheck {
  /** Objects whose CREATE ClickHouse accepted in the scratch databases. */
  checked: string[];
  /** Objects (or the whole check) not checked, each with the reason. */
  notChecked: string[];
}

/** An object ClickHouse refused to create, with what it said. */
export interface DdlRejection extends ClickHouseFailure {
  object: string;
}

type ViewLike = { kind: "view"; view: View } | { kind: "mv"; view: MaterializedView };

/** What a view reads (`db`.`t`, db.t or t): the database when qualified, and the name. */
const sources = (v: View | MaterializedView): { database?: string; name: string }[] =>
  v.sourceTables.map((s) => {
    const parts = s.split(".").map((p) => unquoteToken(p.trim()));
    const name = parts.at(-1)!;
    return parts.length > 1 ? { database: parts.at(-2)!, name } : { name };
  });

const sourceNames = (v: View | MaterializedView): string[] => sources(v).map((s) => s.name);

/**
 * The objects a file's changes create or change, with what they need to be created: new and
 * changed tables in their resulting form; new views and materialized views with the tables and
 * views they read (and an MV's target), recursively.
 */
const objectsToCheck = (changes: readonly Delta[], after: InfraMap) => {
  const db = after.default_database;
  const tables = new Map<string, Table>();
  /** Tables the changes create or change (the others are there for a view to read). */
  const changed = new Set<Table>();
  const views = new Map<string, ViewLike>();
  /** Tables views read that the project does not manage (`db.name`): copied empty into scratch. */
  const unmanaged = new Set<string>();
  const tableByName = new Map(Object.values(after.tables).map((t) => [t.name, t]));
  const viewByName = new Map<string, ViewLike>([
    ...Object.values(after.views).map((v): [string, ViewLike] => [
      v.name,
      { kind: "view", view: v },
    ]),
    ...Object.values(after.materialized_views).map((v): [string, ViewLike] => [
      v.name,
      { kind: "mv", view: v },
    ]),
  ]);
  const addView = (v: ViewLike) => {
    const id = viewId(v.view);
    if (views.has(id)) return;
    views.set(id, v);
    const needed = [
      ...sources(v.view),
      ...(v.kind === "mv"
        ? [{ database: v.view.targetDatabase ?? v.view.database, name: v.view.targetTable }]
        : []),
    ];
    for (const { database, name } of needed) {
      const t = tableByName.get(name);
      if (t) tables.set(`${tableDatabase(t, db)}.${t.name}`, t);
      const inner = viewByName.get(name);
      if (inner) addView(inner);
      if (!t && !inner) unmanaged.add(`${database ?? v.view.database ?? db}.${name}`);
    }
  };
  for (const d of changes) {
    if (d.type === "CreateView") addView({ kind: "view", view: d.view });
    else if (d.type === "CreateMaterializedView") addView({ kind: "mv", view: d.mv });
    else if (d.type !== "DropTable" && d.type !== "BackfillTable" && d.type !== "RawSql") {
      // Every other table delta leaves a table whose whole resulting DDL is checked.
      const t = after.tables[deltaTableIdIn(d, db)];
      if (t) {
        tables.set(`${tableDatabase(t, db)}.${t.name}`, t);
        changed.add(t);
      }
    }
  }
  return { tables: [...tables.values()], changed, views: [...views.values()], unmanaged };
};

/**
 * Asks ClickHouse whether the objects a new file creates or changes can be created: each one
 * (in its resulting form, with the tables its SELECT reads) is created in throwaway scratch
 * databases on the target, one per project database, then they are dropped. Nothing in the
 * project's databases is touched. A refusal is returned with ClickHouse's code and reason; a
 * target that does not let us create databases makes the check "not run", never a failure.
 */
export const checkDdlInScratch = async (
  ch: ClickHousePort,
  changes: readonly Delta[],
  after: InfraMap,
  databases: readonly string[],
): Promise<{ check: DdlCheck; rejected: DdlRejection[] }> => {
  const db = after.default_database;
  const { tables, changed, views, unmanaged } = objectsToCheck(changes, after);
  const check: DdlCheck = { checked: [], notChecked: [] };
  const rejected: DdlRejection[] = [];
  if (tables.length === 0 && views.length === 0) return { check, rejected };
  const tag = randomBytes(4).toString("hex");
  const scratch = new Map(databases.map((d, i) => [d, `_moose_check_${tag}_${i}`]));
  const back = (text: string) =>
    [...scratch].reduce((acc, [real, s]) => acc.split(s).join(real), text);
  const created: string[] = [];
  try {
    for (const s of scratch.values()) {
      await ch.command(`CREATE DATABASE ${quoteIdent(s)}`);
      created.push(s);
    }
  } catch (e) {
    await dropAll(ch, created);
    check.notChecked.push(
      `ClickHouse checks not run: could not create a scratch database (${clickhouseFailure(e).reason})`,
    );
    return { check, rejected };
  }
  try {
    const skipped = new Set<string>();
    for (const t of tables) {
      const name = userFacingName(t, db);
      // Replicated tables would register in Keeper and ON CLUSTER would reach other hosts.
      if (engineName(t.engine).startsWith("Replicated") || t.cluster_name !== undefined) {
        check.notChecked.push(
          ch.target.kind === "chdb"
            ? `${name}: replicated or clustered — the embedded engine cannot run it (\`moose migrate\` to chdb:// refuses the file; \`moose dev\` runs it on its plain engine)`
            : `${name}: replicated or clustered tables are not created in scratch`,
        );
        skipped.add(t.name);
        continue;
      }
      const copy = { ...t, database: scratch.get(tableDatabase(t, db))! };
      delete copy.cluster_name;
      try {
        await ch.command(renderCreateTable(copy, db), { waitForMutation: false });
        if (changed.has(t)) check.checked.push(name);
      } catch (e) {
        rejected.push({ object: name, ...clickhouseFailure(e) });
        skipped.add(t.name);
      }
    }
    // Tables the project does not manage (a Kafka-engine source, a hand-made table): an empty
    // copy of the live one's columns (ENGINE = Null: no data, no connections) stands in.
    for (const physical of unmanaged) {
      const [database, ...rest] = physical.split(".");
      const name = rest.join(".");
      const home = scratch.get(database!);
      if (home === undefined) continue;
      if (!(await standIn(ch, database!, name, home))) {
        skipped.add(name);
        check.notChecked.push(
          `${userFacingName({ name, database }, db)}: read by a view, neither managed by the project nor found in the database`,
        );
      }
    }
    // Views reading views: created in passes, each after those it reads.
    let pending = views.filter((v) => {
      const blocked = sourceNames(v.view).some((s) => skipped.has(s));
      if (blocked)
        check.notChecked.push(
          `${userFacingName(v.view, db)}: reads a table that could not be created in scratch`,
        );
      return !blocked;
    });
    let last: Map<ViewLike, unknown> = new Map();
    const standInsTried = new Set<string>(unmanaged);
    while (pending.length > 0) {
      const failed = new Map<ViewLike, unknown>();
      for (const v of pending) {
        const home = scratch.get(v.view.database ?? db)!;
        const select = requalify(v.view.selectSql, scratch);
        const sql =
          v.kind === "view"
            ? `CREATE VIEW ${qualified(home, v.view.name)} AS ${select}`
            : `CREATE MATERIALIZED VIEW ${qualified(home, v.view.name)} TO ${qualified(scratch.get(v.view.targetDatabase ?? v.view.database ?? db) ?? home, v.view.targetTable)} AS ${select}`;
        try {
          await ch.command(sql, { waitForMutation: false, database: home });
          check.checked.push(userFacingName(v.view, db));
        } catch (e) {
          failed.set(v, e);
        }
      }
      // A SELECT may read a table it does not declare: if the database has it, an empty
      // stand-in lets the next pass check the view instead of blaming it.
      let standIns = 0;
      for (const e of failed.values()) {
        if (clickhouseFailure(e).type !== "UNKNOWN_TABLE") continue;
        const missing = /'([^']+)'/.exec(clickhouseFailure(e).reason)?.[1];
        if (missing === undefined) continue;
        const [first, ...rest] = missing.split(".");
        const scratchDb = rest.length > 0 ? first! : undefined;
        const name = rest.length > 0 ? rest.join(".") : first!;
        const real = [...scratch].find(([, sdb]) => sdb === scratchDb)?.[0] ?? scratchDb ?? db;
        const home = scratch.get(real);
        if (home === undefined || standInsTried.has(`${real}.${name}`)) continue;
        standInsTried.add(`${real}.${name}`);
        if (await standIn(ch, real, name, home)) standIns++;
      }
      if (failed.size === pending.length && standIns === 0) {
        last = failed;
        break;
      }
      pending = [...failed.keys()];
    }
    for (const [v, e] of last) {
      const f = clickhouseFailure(e);
      rejected.push({ object: userFacingName(v.view, db), ...f, reason: back(f.reason) });
    }
    for (const r of rejected) r.reason = back(r.reason);
    return { check, rejected };
  } finally {
    await dropAll(ch, created);
  }
};

/** An empty copy (ENGINE = Null: no data, no connections) of a live table in a scratch database. */
const standIn = async (
  ch: ClickHousePort,
  database: string,
  name: string,
  home: string,
): Promise<boolean> =>
  ch
    .command(
      `CREATE TABLE ${qualified(home, name)} AS ${qualified(database, name)} ENGINE = Null`,
      {
        waitForMutation: false,
      },
    )
    .then(
      () => true,
      () => false,
    );

const dropAll = async (ch: ClickHousePort, databases: readonly string[]) => {
  for (const s of databases)
    await ch.command(`DROP DATABASE IF EXISTS ${quoteIdent(s)} SYNC`).catch(() => undefined);
};

export const ddlRejectedError = (rejected: readonly DdlRejection[], flag = ""): MooseError =>
  new MooseError(
    "DDL_REJECTED",
    `ClickHouse rejects ${rejected.length === 1 ? "an object" : `${rejected.length} objects`} this migration would create; no file was written:\n${rejected
      .map((r) => `  - ${r.object}: ${describeClickHouseFailure(r)}`)
      .join("\n")}`,
    {
      hint: `Fix the model (the SELECT, key columns or expressions named above), then run \`moose generate migration --save${flag}\` again. ClickHouse checked this in a scratch database; nothing in your databases changed.`,
      details: { rejected },
    },
  );
