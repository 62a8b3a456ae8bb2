import { clickhouseFailure, serverErrorOf, type ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { MODEL_FIELDS } from "../core/infra-sql-guard";
import type { InfraMap, Table } from "../core/infra-map";
import { shownText, type SqlFinding } from "../core/model-sql-guard";
import { renderCreateTable } from "../core/render-sql";
import { quoteIdent, quoteString } from "../core/sql-quote";
import { modelSqlError } from "../model/to-infra-map";

/**
 * ClickHouse's own parser over the model's SQL text, after the lexer rules (core/
 * model-sql-guard.ts) passed: each piece is put where it goes in a statement of its own
 * (an expression as `SELECT (<expr>)`, a TTL as `ALTER TABLE … MODIFY TTL <ttl>`, a view's
 * SELECT as it is, each table's whole CREATE) and `formatQuerySingleLineOrNull` says whether
 * that parses as exactly one statement. Nothing is run: one read-only query for the whole
 * project, whatever its size.
 */

/** One statement to parse, and the model field it stands for. */
interface Probe {
  object: string;
  field: string;
  text: string;
  sql: string;
}

const T = "_moose_check";
const WHOLE = "(the whole CREATE TABLE)";

const stripCodec = (codec: string): string => codec.replace(/^CODEC\(([\s\S]*)\)$/, "$1");

const tableProbes = (t: Table, defaultDb: string): Probe[] => {
  const object = `${MODEL_FIELDS.table} ${t.name}`;
  const out: Probe[] = [];
  const add = (field: string, text: string | null | undefined, sql: (x: string) => string) => {
    if (text !== undefined && text !== null && text !== "")
      out.push({ object, field, text, sql: sql(text) });
  };
  const expr = (x: string) => `SELECT (${x})`;
  for (const c of t.columns) {
    const at = `columns.${c.name}`;
    const col = quoteIdent(c.name);
    add(`${at}.default`, c.default, expr);
    add(`${at}.materialized`, c.materialized, expr);
    add(`${at}.alias`, c.alias, expr);
    add(
      `${at}.codec`,
      c.codec,
      (x) => `ALTER TABLE ${T} MODIFY COLUMN ${col} CODEC(${stripCodec(x)})`,
    );
    add(`${at}.ttl`, c.ttl, (x) => `ALTER TABLE ${T} MODIFY COLUMN ${col} TTL ${x}`);
  }
  add(MODEL_FIELDS.ttl, t.table_ttl_setting, (x) => `ALTER TABLE ${T} MODIFY TTL ${x}`);
  add(MODEL_FIELDS.partitionBy, t.partition_by, expr);
  if (typeof t.order_by === "string") add(MODEL_FIELDS.orderBy, t.order_by, expr);
  add(MODEL_FIELDS.primaryKey, t.primary_key_expression, expr);
  add(MODEL_FIELDS.sampleBy, t.sample_by, expr);
  for (const i of t.indexes)
    add(
      `indexes.${i.name}.expression`,
      i.expression,
      (x) =>
        `ALTER TABLE ${T} ADD INDEX ${quoteIdent(i.name)} ${x} TYPE ${i.type}${i.arguments.length ? `(${i.arguments.join(", ")})` : ""} GRANULARITY 1`,
    );
  for (const p of t.projections)
    add(
      `projections.${p.name}.body`,
      p.body,
      (x) => `ALTER TABLE ${T} ADD PROJECTION ${quoteIdent(p.name)} (${x})`,
    );
  // The whole statement too: whatever the pieces above do not cover (types, settings) is in it.
  // Parsed under one scratch name, so tables that differ only by name (and version) are one
  // probe: the name is always quoted, never text from the model.
  const probe = renderCreateTable({ ...t, name: T, version: null, database: defaultDb }, defaultDb);
  add(WHOLE, renderCreateTable(t, defaultDb), () => probe);
  return out;
};

export const modelProbes = (map: InfraMap): Probe[] => [
  ...Object.values(map.tables).flatMap((t) => tableProbes(t, map.default_database)),
  ...Object.values(map.views).map((v) => ({
    object: `${MODEL_FIELDS.view} ${v.name}`,
    field: MODEL_FIELDS.select,
    text: v.selectSql,
    sql: v.selectSql,
  })),
  ...Object.values(map.materialized_views).map((v) => ({
    object: `${MODEL_FIELDS.mv} ${v.name}`,
    field: MODEL_FIELDS.select,
    text: v.selectSql,
    sql: v.selectSql,
  })),
];

/** What the ClickHouse check did: how many pieces it parsed, or why it could not run. */
export interface ModelSqlCheck {
  parsed: number;
  notRun?: string;
}

/**
 * Asks ClickHouse to parse every piece of the model's SQL in one query; a piece it cannot
 * parse as one statement is refused (MODEL_SQL_INVALID). A server without
 * `formatQuerySingleLineOrNull` (before 23.x) makes the check "not run", never a failure.
 */
export const checkModelSql = async (ch: ClickHousePort, map: InfraMap): Promise<ModelSqlCheck> => {
  const probes = modelProbes(map);
  if (probes.length === 0) return { parsed: 0 };
  // The same text recurs on many tables (defaults, keys, index expressions): parsed once.
  const distinct = [...new Set(probes.map((p) => p.sql))];
  const position = new Map(distinct.map((sql, i) => [sql, i]));
  const list = distinct.map((sql) => quoteString(sql)).join(", ");
  const sql = `SELECT arrayMap(q -> isNull(formatQuerySingleLineOrNull(q)), [${list}]) AS bad`;
  let bad: boolean[];
  try {
    const [row] = await ch.query<{ bad: (boolean | number)[] }>(sql, undefined, {
      // The literals are the whole query: let a large project's list be parsed.
      max_query_size: Math.max(262_144, sql.length * 2),
    });
    bad = (row?.bad ?? []).map((b) => b === true || b === 1);
  } catch (e) {
    // Not a parser failure (unreachable, refused login, …): that error as it is, mapped by
    // the command like any other.
    if (!serverErrorOf(e)) throw e;
    const f = clickhouseFailure(e);
    if (f.type === "UNKNOWN_FUNCTION" || f.code === "46")
      return {
        parsed: 0,
        notRun: `ClickHouse's parser not asked about the model's SQL: this server has no formatQuerySingleLineOrNull (${f.reason})`,
      };
    if (f.type !== "SYNTAX_ERROR" && f.code !== "62") throw e;
    throw new MooseError(
      "MODEL_SQL_INVALID",
      `ClickHouse could not check the model's SQL text: ${f.reason}`,
      {
        hint: "Nothing was written. One of the model's expressions or SELECTs makes ClickHouse's parser fail outright; fix it, or run without a target to see the other checks.",
        cause: e,
      },
    );
  }
  const findings: SqlFinding[] = probes.flatMap((p) =>
    bad[position.get(p.sql)!]
      ? [
          {
            object: p.object,
            field: p.field,
            reason: "ClickHouse does not parse it as exactly one expression or statement there",
            text: shownText(p.text),
          },
        ]
      : [],
  );
  // The whole CREATE fails with any of its pieces: named only when no piece explains it.
  const named = new Set(findings.filter((f) => f.field !== WHOLE).map((f) => f.object));
  const shown = findings.filter((f) => f.field !== WHOLE || !named.has(f.object));
  if (shown.length > 0) throw modelSqlError(shown);
  return { parsed: probes.length };
};
