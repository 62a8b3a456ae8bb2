/*
 * Walks an InfraMap (the code's) or a delta (a migration file's) and puts every piece of SQL
 * text it carries through core/model-sql-guard.ts. Engine parameters, names, cluster and
 * database are always quoted by the renderer and setting values are rendered as quoted literals
 * or plain numbers, so what is checked is the text the renderer splices as is. Pure.
 */
import { renderColumnType } from "./data-type";
import { dispatchDelta, type Delta } from "./deltas";
import type { Column, InfraMap, MaterializedView, Table, TableIndex, View } from "./infra-map";
import {
  fragmentProblems,
  isSqlIdentifier,
  multiStatementProblem,
  shownText,
  type FragmentKind,
  type SqlFinding,
} from "./model-sql-guard";

/** The names a finding uses for table and view fields: the SDK's (models) or the file's. */
export interface FieldNames {
  settings: string;
  ttl: string;
  partitionBy: string;
  orderBy: string;
  primaryKey: string;
  sampleBy: string;
  select: string;
  table: string;
  view: string;
  mv: string;
}

export const MODEL_FIELDS: FieldNames = {
  settings: "settings",
  ttl: "ttl",
  partitionBy: "partitionBy",
  orderBy: "orderByExpression",
  primaryKey: "primaryKeyExpression",
  sampleBy: "sampleByExpression",
  select: "selectStatement",
  table: "OlapTable",
  view: "View",
  mv: "MaterializedView",
};

export const FILE_FIELDS: FieldNames = {
  settings: "table_settings",
  ttl: "table_ttl_setting",
  partitionBy: "partition_by",
  orderBy: "order_by",
  primaryKey: "primary_key_expression",
  sampleBy: "sample_by",
  select: "selectSql",
  table: "table",
  view: "view",
  mv: "materialized view",
};

/** `a.b` for a plain name, `a["x y"]` otherwise (a key can itself be the injected text). */
const path = (base: string, key: string): string =>
  isSqlIdentifier(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;

/** Collects findings for one object. */
const collector = (object: string, out: SqlFinding[]) => ({
  text(field: string, text: string | null | undefined, kind: FragmentKind) {
    if (text === undefined || text === null) return;
    const problems = fragmentProblems(text, kind);
    if (problems.length > 0)
      out.push({ object, field, reason: problems.join("; "), text: shownText(text) });
  },
  identifier(field: string, name: string, what: string) {
    if (!isSqlIdentifier(name))
      out.push({
        object,
        field,
        reason: `${what} must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`,
        text: shownText(name),
      });
  },
  statement(field: string, sql: string) {
    const problem = multiStatementProblem(sql);
    if (problem) out.push({ object, field, reason: problem, text: shownText(sql) });
  },
});
type Collector = ReturnType<typeof collector>;

const checkColumn = (c: Collector, column: Column, base = "columns"): void => {
  const at = path(base, column.name);
  c.text(`${at}.default`, column.default, "expression");
  c.text(`${at}.materialized`, column.materialized, "expression");
  c.text(`${at}.alias`, column.alias, "expression");
  c.text(`${at}.codec`, column.codec, "codec");
  c.text(`${at}.ttl`, column.ttl, "ttl");
  c.text(`${at}.type`, renderColumnType(column), "type");
};

const checkIndex = (c: Collector, index: TableIndex): void => {
  const at = path("indexes", index.name);
  c.text(`${at}.expression`, index.expression, "index-expression");
  c.identifier(`${at}.type`, index.type, "an index type");
  index.arguments.forEach((a, i) => c.text(`${at}.arguments[${i}]`, a, "expression"));
};

const checkSettingKeys = (c: Collector, base: string, settings: Record<string, string>): void => {
  for (const key of Object.keys(settings)) c.identifier(path(base, key), key, "a setting name");
};

const checkTable = (c: Collector, t: Table, names: FieldNames): void => {
  for (const column of t.columns) checkColumn(c, column);
  checkSettingKeys(c, names.settings, t.table_settings ?? {});
  c.text(names.ttl, t.table_ttl_setting, "ttl");
  c.text(names.partitionBy, t.partition_by, "expression");
  if (typeof t.order_by === "string") c.text(names.orderBy, t.order_by, "expression");
  c.text(names.primaryKey, t.primary_key_expression, "expression");
  c.text(names.sampleBy, t.sample_by, "expression");
  for (const index of t.indexes) checkIndex(c, index);
  for (const p of t.projections)
    c.text(`${path("projections", p.name)}.body`, p.body, "projection");
};

/** Findings for one table. */
export const tableSqlFindings = (t: Table, names: FieldNames, object?: string): SqlFinding[] => {
  const out: SqlFinding[] = [];
  checkTable(collector(object ?? `${names.table} ${t.name}`, out), t, names);
  return out;
};

const viewFindings = (
  v: View | MaterializedView,
  kind: "view" | "mv",
  names: FieldNames,
  object?: string,
): SqlFinding[] => {
  const out: SqlFinding[] = [];
  collector(object ?? `${names[kind]} ${v.name}`, out).text(names.select, v.selectSql, "select");
  return out;
};

/** Every finding in the code's desired state (tables, views, materialized views). */
export const infraMapSqlFindings = (map: InfraMap, names: FieldNames): SqlFinding[] => [
  ...Object.values(map.tables).flatMap((t) => tableSqlFindings(t, names)),
  ...Object.values(map.views).flatMap((v) => viewFindings(v, "view", names)),
  ...Object.values(map.materialized_views).flatMap((v) => viewFindings(v, "mv", names)),
];

/**
 * Every finding in one delta of a migration file: each SQL-bearing field of any delta kind,
 * `before` sides included (a hand-edited file is refused whole, before anything runs).
 */
export const deltaSqlFindings = (d: Delta, object: string): SqlFinding[] => {
  const out: SqlFinding[] = [];
  const c = collector(object, out);
  const table = (t: Table, prefix: string) =>
    out.push(
      ...tableSqlFindings(t, FILE_FIELDS, object).map((f) => ({
        ...f,
        field: `${prefix}.${f.field}`,
      })),
    );
  const view = (v: View | MaterializedView, prefix: string) =>
    c.text(`${prefix}.selectSql`, v.selectSql, "select");
  const none = () => undefined;
  dispatchDelta<void>(d, {
    CreateTable: (x) => table(x.table, "table"),
    DropTable: (x) => table(x.table, "table"),
    RecreateTable: (x) => {
      table(x.before, "before");
      table(x.after, "after");
    },
    AddTableColumn: (x) => checkColumn(c, x.column, "column"),
    DropTableColumn: none,
    ModifyTableColumn: (x) => {
      checkColumn(c, x.before_column, "before_column");
      checkColumn(c, x.after_column, "after_column");
    },
    RenameTableColumn: none,
    ModifyTableSettings: (x) => {
      checkSettingKeys(c, "before", x.before);
      checkSettingKeys(c, "after", x.after);
    },
    ModifyTableTtl: (x) => {
      c.text("before", x.before, "ttl");
      c.text("after", x.after, "ttl");
    },
    AddTableIndex: (x) => checkIndex(c, x.index),
    DropTableIndex: none,
    AddTableProjection: (x) => c.text("projection.body", x.projection.body, "projection"),
    DropTableProjection: none,
    ModifySampleBy: (x) => c.text("expression", x.expression, "expression"),
    RemoveSampleBy: none,
    CreateView: (x) => view(x.view, "view"),
    DropView: (x) => view(x.view, "view"),
    CreateMaterializedView: (x) => view(x.mv, "mv"),
    DropMaterializedView: (x) => view(x.mv, "mv"),
    BackfillTable: (x) => c.statement("sql", x.sql),
    RawSql: (x) => x.sql.forEach((s, i) => c.statement(`sql[${i}]`, s)),
    CreateTopic: none,
    DeleteTopic: none,
    UpdateTopic: none,
  });
  return out;
};
