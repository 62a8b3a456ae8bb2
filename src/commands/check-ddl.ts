import { randomBytes } from "node:crypto";
import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError, clickHouseFailure } from "../errors";
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

export interface DdlRejection {
  object: string;
  code?: number;
  name?: string;
  reason: string;
}

type ViewLike = { kind: "view"; view: View } | { kind: "mv"; view: MaterializedView };

/** Names a view reads (`db`.`t`, db.t or t), without database and quotes. */
const sourceNames = (v: View | MaterializedView): string[] =>
  v.sourceTables.map((s) => unquoteToken(s.split(".").at(-1)!.trim()));

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
    const needed = [...sourceNames(v.view), ...(v.kind === "mv" ? [v.view.targetTable] : [])];
    for (const name of needed) {
      const t = tableByName.get(name);
      if (t) tables.set(`${tableDatabase(t, db)}.${t.name}`, t);
      const inner = viewByName.get(name);
      if (inner) addView(inner);
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
  return { tables: [...tables.values()], changed, views: [...views.values()] };
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
  const { tables, changed, views } = objectsToCheck(changes, after);
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
      `ClickHouse checks not run: could not create a scratch database (${clickHouseFailure(e).reason})`,
    );
    return { check, rejected };
  }
  try {
    const skipped = new Set<string>();
    for (const t of tables) {
      const name = userFacingName(t, db);
      // Replicated tables would register in Keeper and ON CLUSTER would reach other hosts.
      if (engineName(t.engine).startsWith("Replicated") || t.cluster_name !== undefined) {
        check.notChecked.push(`${name}: replicated or clustered tables are not created in scratch`);
        skipped.add(t.name);
        continue;
      }
      const copy = { ...t, database: scratch.get(tableDatabase(t, db))! };
      delete copy.cluster_name;
      try {
        await ch.command(renderCreateTable(copy, db), { waitForMutation: false });
        if (changed.has(t)) check.checked.push(name);
      } catch (e) {
        rejected.push({ object: name, ...clickHouseFailure(e) });
        skipped.add(t.name);
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
      if (failed.size === pending.length) {
        last = failed;
        break;
      }
      pending = [...failed.keys()];
    }
    for (const [v, e] of last) {
      const f = clickHouseFailure(e);
      rejected.push({ object: userFacingName(v.view, db), ...f, reason: back(f.reason) });
    }
    for (const r of rejected) r.reason = back(r.reason);
    return { check, rejected };
  } finally {
    await dropAll(ch, created);
  }
};

const dropAll = async (ch: ClickHousePort, databases: readonly string[]) => {
  for (const s of databases)
    await ch.command(`DROP DATABASE IF EXISTS ${quoteIdent(s)} SYNC`).catch(() => undefined);
};

export const ddlRejectedError = (rejected: readonly DdlRejection[], flag = ""): MooseError =>
  new MooseError(
    "DDL_REJECTED",
    `ClickHouse rejects ${rejected.length === 1 ? "an object" : `${rejected.length} objects`} this migration would create; no file was written:\n${rejected
      .map(
        (r) =>
          `  - ${r.object}: ${r.reason}${r.name ? ` [${r.name}${r.code !== undefined ? ` ${r.code}` : ""}]` : ""}`,
      )
      .join("\n")}`,
    {
      hint: `Fix the model (the SELECT, key columns or expressions named above), then run \`moose generate migration --save${flag}\` again. ClickHouse checked this in a scratch database; nothing in your databases changed.`,
      details: { rejected },
    },
  );
