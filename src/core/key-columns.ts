import { isStoredNullable, renderColumnType, viewDataType } from "./data-type";
import type { Column, EnumType, Table } from "./infra-map";

/**
 * Which column changes ClickHouse refuses to ALTER (so the table must be recreated), as probed
 * on the embedded engine (chDB 3.4, ClickHouse 26.7):
 * - a type change of a column in the sorting key, primary key, partition key or SAMPLE BY
 *   (ALTER_OF_COLUMN_IS_FORBIDDEN), except appending members to an enum of the same width,
 *   which ClickHouse applies as a metadata-only change;
 * - a type change of a column an aggregate projection reads (`GROUP BY`, or `sum(w)` with no
 *   `ORDER BY`: ALTER_OF_COLUMN_IS_FORBIDDEN "breaks projection", or a conversion of its
 *   aggregate states that is not supported), enum extensions included; normal projections
 *   (`SELECT … ORDER BY …`) are rebuilt by the ALTER;
 * - Nullable → non-Nullable without a DEFAULT (BAD_ARGUMENTS: "Please specify `DEFAULT`
 *   expression"), whatever the data.
 * Skip-index columns, TTL columns, codecs, comments and defaults of key columns can be altered.
 */

/**
 * The identifiers an SQL expression mentions: bare words (not followed by `(`, which makes
 * them functions) and quoted names (`` `a b` ``, `"a"`); string literals and numbers are
 * skipped. Whole tokens only: `user_id` does not mention `id`.
 */
export const identifierTokens = (expr: string): Set<string> => {
  const out = new Set<string>();
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === "'" || ch === "`" || ch === '"') {
      let j = i + 1;
      let text = "";
      while (j < expr.length && expr[j] !== ch) {
        if (expr[j] === "\\" && j + 1 < expr.length) j++;
        text += expr[j];
        j++;
      }
      if (ch !== "'") out.add(text);
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < expr.length && /[A-Za-z0-9_.]/.test(expr[j]!)) j++;
      const word = expr.slice(i, j);
      let k = j;
      while (k < expr.length && /\s/.test(expr[k]!)) k++;
      if (expr[k] !== "(") {
        out.add(word);
        // `n.a` (a Nested subcolumn, a tuple element) also mentions its column `n`.
        if (word.includes(".")) out.add(word.slice(0, word.indexOf(".")));
      }
      i = j;
    } else if (/[0-9]/.test(ch)) {
      // Numbers (1e3, 0x1F) are not identifiers.
      while (i < expr.length && /[A-Za-z0-9_.]/.test(expr[i]!)) i++;
    } else i++;
  }
  return out;
};

/** Columns of the sorting key, primary key, partition key and SAMPLE BY expression. */
export const keyColumns = (table: Table): Set<string> => {
  const names = new Set<string>();
  const add = (expr: string | undefined) => {
    if (expr !== undefined) for (const t of identifierTokens(expr)) names.add(t);
  };
  if (Array.isArray(table.order_by)) table.order_by.forEach((c) => names.add(c));
  else add(table.order_by);
  add(table.partition_by);
  add(table.primary_key_expression);
  add(table.sample_by);
  for (const c of table.columns) if (c.primary_key) names.add(c.name);
  return names;
};

/** ClickHouse numbers `'a'` members from 1 by position; `'a' = n` members keep their value. */
const enumValues = (t: EnumType): Map<string, number> =>
  new Map(
    t.values.map((m, i) => ("String" in m.value ? [m.value.String, i + 1] : [m.name, m.value.Int])),
  );

const enumWidth = (values: Map<string, number>): 8 | 16 =>
  [...values.values()].every((v) => v >= -128 && v <= 127) ? 8 : 16;

/**
 * Members appended to an enum, every existing one keeping its number and the width (Enum8 or
 * Enum16) unchanged: ClickHouse rewrites no data and allows it even on key columns.
 */
export const isEnumExtension = (before: Column, after: Column): boolean => {
  const a = viewDataType(before.data_type);
  const b = viewDataType(after.data_type);
  if (a.kind !== "enum" || b.kind !== "enum") return false;
  if (isStoredNullable(before) !== isStoredNullable(after)) return false;
  const withoutData = (c: Column) => renderColumnType({ ...c, data_type: "String" });
  if (withoutData(before) !== withoutData(after)) return false;
  const old = enumValues(a.type);
  const next = enumValues(b.type);
  return (
    [...old].every(([label, value]) => next.get(label) === value) &&
    enumWidth(old) === enumWidth(next)
  );
};

/** `SELECT k, sum(v) GROUP BY k`, `SELECT sum(v)`; not `SELECT * ORDER BY v` (over-inclusive: safe). */
const isAggregateProjection = (body: string): boolean =>
  /\bGROUP\s+BY\b/i.test(body) || !/\bORDER\s+BY\b/i.test(body);

const hasDefaultKind = (c: Column): boolean =>
  (c.default !== null && c.default !== undefined) ||
  c.materialized !== undefined ||
  c.alias !== undefined;

/**
 * Why ClickHouse cannot ALTER column `before` of `table` into `after` (same name), or null
 * when `ALTER TABLE … MODIFY COLUMN` can do it. `table` is the table before the change.
 */
export const columnRecreateReason = (
  table: Table,
  before: Column,
  after: Column,
): string | null => {
  const from = renderColumnType(before);
  const to = renderColumnType(after);
  if (from === to) return null;
  const change = `${from} → ${to}`;
  if (keyColumns(table).has(before.name) && !isEnumExtension(before, after))
    return `type of key column '${before.name}' changed (${change})`;
  const projection = table.projections.find(
    (p) => isAggregateProjection(p.body) && identifierTokens(p.body).has(before.name),
  );
  if (projection)
    return `type of column '${before.name}' used by projection '${projection.name}' changed (${change})`;
  if (isStoredNullable(before) && !isStoredNullable(after) && !hasDefaultKind(after))
    return `column '${before.name}' becomes non-nullable without a default (${change})`;
  return null;
};
