import { isStoredNullable, renderColumnType, renderDataType, viewDataType } from "./data-type";
import type { Column, DataType } from "./infra-map";
import { quoteIdent, quoteString } from "./sql-quote";

/*
 * Which column type changes can lose values, and the SQL that finds the values that would not
 * survive. ClickHouse's own conversions are silent: `ALTER … MODIFY COLUMN` and `CAST` wrap
 * integers (Int64 1000 → Int8 -24), truncate floats (1.5 → Int32 1) and wrap dates (Date32
 * 2200-01-01 → Date 2020-07-27). `accurateCastOrNull` is the strict conversion, probed on
 * chDB 26.7: it gives NULL for a value out of range, a float with a fraction going to an
 * integer (1.5 → NULL, 3.0 → 3), NaN/inf, a Float64 not exactly representable as Float32,
 * an Int64 above 2^24 going to Float32 and a string that does not parse. It does round
 * Decimal scale (1.234 → 1.23) and wrap Date32 → Date, so where both sides are numbers or
 * both dates a cast value different from the original also counts. Decision: a truncated
 * fraction is loss (the user wrote 1.5, the table would say 1). Float64 → Float32 rounding is
 * not (Float32 is approximate by design; every Float64 with a fraction would be "lost"): only
 * values outside Float32's range are counted there. Composite types (Array, Map, Tuple,
 * Nested, JSON, aggregate states) are not counted: accurateCastOrNull refuses them, and
 * ClickHouse converts or refuses such a change itself.
 */

/** One way a column change can lose values, and how to count them. */
export interface ColumnLoss {
  column: string;
  /** Column types as ClickHouse spells them. */
  from: string;
  to: string;
  /** `nulls`: NULLs into a required column; `values`: values the new type cannot hold. */
  kind: "nulls" | "values";
  /** SQL, true for a row whose value would not survive (NULLs excluded for `values`). */
  condition: string;
  /** One line: what narrows and what happens to the values that do not fit. */
  reason: string;
}

const INT = /^(U?)Int(8|16|32|64|128|256)$/;
const FLOAT = /^(Float32|Float64|BFloat16)$/;
const DECIMAL = /^Decimal(?:32|64|128|256)?\((\d+),\s*(\d+)\)$/;
const DATE = /^(Date|Date32|DateTime(?:\(.*\))?|DateTime64\((\d+)(?:,.*)?\))$/;

/** [min, max] as powers of two (exact for the bit widths ClickHouse has). */
const intRange = (t: string): { signed: boolean; bits: number } | undefined => {
  const m = INT.exec(t);
  return m ? { signed: m[1] === "", bits: Number(m[2]) } : undefined;
};

const intFits = (from: string, to: string): boolean => {
  const a = intRange(from)!;
  const b = intRange(to)!;
  if (a.signed && !b.signed) return false;
  // Value bits: a signed type has one bit fewer for the magnitude.
  return (a.signed ? a.bits - 1 : a.bits) <= (b.signed ? b.bits - 1 : b.bits);
};

/** Mantissa bits of a float type: the widest integer it holds exactly. */
const mantissa = (t: string): number => (t === "Float64" ? 53 : t === "Float32" ? 24 : 8);

/** Bounds of an integer type, for messages: `[-2^31, 2^31)`. */
export const intBounds = (t: string): string | undefined => {
  const r = intRange(t);
  if (!r) return undefined;
  return r.signed ? `[-2^${r.bits - 1}, 2^${r.bits - 1})` : `[0, 2^${r.bits})`;
};

const dateRank = (t: string): number => {
  if (t === "Date") return 0;
  if (t === "Date32") return 1;
  if (t.startsWith("DateTime64")) return 3;
  return 2;
};

/** Whether every value of scalar type `from` is kept exactly by scalar type `to`. */
export const scalarWidens = (from: string, to: string): boolean => {
  if (from === to) return true;
  if (to === "String") return true;
  if (INT.test(from) && INT.test(to)) return intFits(from, to);
  if (INT.test(from) && FLOAT.test(to)) {
    const r = intRange(from)!;
    return (r.signed ? r.bits - 1 : r.bits) <= mantissa(to);
  }
  if (FLOAT.test(from) && FLOAT.test(to)) return mantissa(from) <= mantissa(to);
  const da = DECIMAL.exec(from);
  const db = DECIMAL.exec(to);
  if (da && db) {
    const [p1, s1, p2, s2] = [da[1], da[2], db[1], db[2]].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    return s2 >= s1 && p2 - s2 >= p1 - s1;
  }
  const ta = DATE.exec(from);
  const tb = DATE.exec(to);
  if (ta && tb) {
    const [ra, rb] = [dateRank(from), dateRank(to)];
    // DateTime64(p) → DateTime64(q): keeps every value when q ≥ p.
    if (ra === 3 && rb === 3) return Number(tb[2]) >= Number(ta[2]);
    // Date → Date32 / DateTime / DateTime64 and DateTime → DateTime64 keep every value.
    return ra < rb && !(ra === 1 && rb === 2);
  }
  return false;
};

const isNumber = (t: string) => INT.test(t) || FLOAT.test(t) || DECIMAL.test(t);
const isDate = (t: string) => DATE.test(t);

/** The scalar type name under Nullable, or undefined for composite and enum types. */
const scalarOf = (dt: DataType): string | undefined => {
  const v = viewDataType(dt);
  if (v.kind === "nullable") return scalarOf(v.type.nullable);
  return v.kind === "scalar" ? renderDataType(dt) : undefined;
};

const enumNames = (dt: DataType): string[] | undefined => {
  const v = viewDataType(dt);
  if (v.kind === "nullable") return enumNames(v.type.nullable);
  return v.kind === "enum"
    ? v.type.values.map((m) => ("String" in m.value ? m.value.String : m.name))
    : undefined;
};

const isAggregate = (c: Column): boolean =>
  c.annotations.some(([k]) => k === "aggregationFunction" || k === "simpleAggregationFunction");

/** The SQL true for a non-NULL value of `c` that scalar type `to` cannot hold exactly. */
const valueLostSql = (c: string, from: string, to: string): string => {
  if (FLOAT.test(from) && FLOAT.test(to))
    return `(NOT isNull(${c}) AND isFinite(${c}) AND abs(${c}) > 3.4028234663852886e38)`;
  const cast = `accurateCastOrNull(${c}, ${quoteString(to)})`;
  const comparable = (isNumber(from) && isNumber(to)) || (isDate(from) && isDate(to));
  return `(NOT isNull(${c}) AND (isNull(${cast})${comparable ? ` OR ${cast} != ${c}` : ""}))`;
};

const valueReason = (from: string, to: string): string => {
  const bounds = intBounds(to);
  if (bounds && (INT.test(from) || FLOAT.test(from) || DECIMAL.test(from)))
    return `${from} → ${to} narrows: values outside ${bounds}${FLOAT.test(from) || DECIMAL.test(from) ? " or with a fraction" : ""} do not fit (ClickHouse would wrap or truncate them silently)`;
  if (FLOAT.test(from) && FLOAT.test(to))
    return `${from} → ${to} reduces precision (values are rounded; values beyond Float32's range do not fit)`;
  if (DECIMAL.test(to))
    return `${from} → ${to} narrows: values with more digits or decimals do not fit (ClickHouse would round or refuse them)`;
  if (isDate(from) && isDate(to))
    return `${from} → ${to} narrows: times outside the new range or finer than its precision do not fit (ClickHouse would wrap or truncate them)`;
  if (to.startsWith("FixedString")) return `${from} → ${to} narrows: longer strings do not fit`;
  return `${from} → ${to} changes the type: values that do not convert are lost or refused`;
};

/**
 * How changing column `before` into `after` (same column) can lose data: NULLs into a required
 * column (`nullsKept`: ClickHouse replaces them by the column's DEFAULT in an ALTER, which the
 * model asks for), and values the new type cannot hold. Empty when nothing can be lost.
 */
export const columnLosses = (
  before: Column,
  after: Column,
  nullsBecomeDefault: boolean,
): ColumnLoss[] => {
  const out: ColumnLoss[] = [];
  const from = renderColumnType(before);
  const to = renderColumnType(after);
  if (from === to || isAggregate(before) || isAggregate(after)) return out;
  const c = quoteIdent(before.name);
  if (isStoredNullable(before) && !isStoredNullable(after) && !nullsBecomeDefault)
    out.push({
      column: after.name,
      from,
      to,
      kind: "nulls",
      condition: `isNull(${c})`,
      reason: `${from} → ${to}: the column becomes required and has no DEFAULT, so NULLs cannot be kept`,
    });
  const [a, b] = [scalarOf(before.data_type), scalarOf(after.data_type)];
  const targetEnum = enumNames(after.data_type);
  if (targetEnum !== undefined) {
    const sourceEnum = enumNames(before.data_type);
    const kept = new Set(targetEnum);
    // Members kept (or a String whose values are all members) convert; any other value fails.
    if (sourceEnum !== undefined && sourceEnum.every((n) => kept.has(n))) return out;
    if (sourceEnum === undefined && a !== "String" && !a?.startsWith("FixedString")) return out;
    out.push({
      column: after.name,
      from,
      to,
      kind: "values",
      condition: `(NOT isNull(${c}) AND toString(${c}) NOT IN (${targetEnum.map(quoteString).join(", ")}))`,
      reason: `${from} → ${to}: values that are not members of the new enum cannot be kept`,
    });
    return out;
  }
  if (a === undefined || b === undefined) {
    // An enum becoming a string keeps its names; other composite changes are not counted.
    return out;
  }
  if (scalarWidens(a, b)) return out;
  out.push({
    column: after.name,
    from,
    to,
    kind: "values",
    condition: valueLostSql(c, a, b),
    reason: valueReason(a, b),
  });
  return out;
};

/** Whether a change is a composite-type change that is not counted (said as a caution). */
export const uncountedTypeChange = (before: Column, after: Column): boolean => {
  const from = renderColumnType(before);
  const to = renderColumnType(after);
  if (from === to) return false;
  if (isAggregate(before) || isAggregate(after)) return true;
  const [a, b] = [scalarOf(before.data_type), scalarOf(after.data_type)];
  return (
    enumNames(after.data_type) === undefined &&
    (a === undefined || b === undefined) &&
    !(enumNames(before.data_type) !== undefined && b === "String")
  );
};
