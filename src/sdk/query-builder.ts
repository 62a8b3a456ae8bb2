/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's query-layer generics default to any */
/**
 * moose-lib's query layer: SQL building helpers (pure, implemented), query models and the
 * fluent builder (SQL built as moose-lib builds it; executing needs a running Moose), MCP tool
 * helpers (not available while models load), and request validation helpers.
 */
import type { Column, DataType } from "./column";
import type { QueryClient } from "./clients";
import { notAvailable, rejectNotAvailable } from "./inert";
import type { OlapTable } from "./olap-table";
import { quoteIdentifier, sql, type Sql } from "./sql";
import { MaterializedView } from "./views";

// ---------------------------------------------------------------- SQL helpers

/** Parameter values the helpers accept. */
export type SqlValue = string | number | boolean | Date;
/** A column (`Table.columns.x`) or an SQL expression. */
export type ColRef = Column | Sql;
export type FilterOperator =
  | "eq"
  | "ne"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "like"
  | "ilike"
  | "in"
  | "notIn"
  | "between"
  | "isNull"
  | "isNotNull";
export type SortDir = "ASC" | "DESC";

/** SQL text taken as is (for developer-defined constants only). */
export const raw = (text: string): Sql => sql.raw(text);
/** The empty fragment. */
export const empty: Sql = sql``;
/** Fragments joined by a separator (default ", "). */
export const join = (fragments: Sql[], separator?: string): Sql => sql.join(fragments, separator);
/** Whether a fragment has neither text nor values. */
export function isEmpty(fragment: Sql): boolean {
  return fragment.values.length === 0 && fragment.strings.every((s) => s.trim() === "");
}

export function eq(col: ColRef, value: SqlValue): Sql {
  return sql`${col} = ${value}`;
}
export function ne(col: ColRef, value: SqlValue): Sql {
  return sql`${col} != ${value}`;
}
export function gt(col: ColRef, value: SqlValue): Sql {
  return sql`${col} > ${value}`;
}
export function gte(col: ColRef, value: SqlValue): Sql {
  return sql`${col} >= ${value}`;
}
export function lt(col: ColRef, value: SqlValue): Sql {
  return sql`${col} < ${value}`;
}
export function lte(col: ColRef, value: SqlValue): Sql {
  return sql`${col} <= ${value}`;
}
export function like(col: ColRef, pattern: string): Sql {
  return sql`${col} LIKE ${pattern}`;
}
export function ilike(col: ColRef, pattern: string): Sql {
  return sql`${col} ILIKE ${pattern}`;
}
/** `col IN (…)`; an empty list is never true. */
export function inList(col: ColRef, values: SqlValue[]): Sql {
  if (values.length === 0) return sql`1 = 0`;
  return sql`${col} IN (${join(values.map((v) => sql`${v}`))})`;
}
/** `col NOT IN (…)`; an empty list is always true. */
export function notIn(col: ColRef, values: SqlValue[]): Sql {
  if (values.length === 0) return sql`1 = 1`;
  return sql`${col} NOT IN (${join(values.map((v) => sql`${v}`))})`;
}
export function between(col: ColRef, low: SqlValue, high: SqlValue): Sql {
  return sql`${col} BETWEEN ${low} AND ${high}`;
}
export function isNull(col: ColRef): Sql {
  return sql`${col} IS NULL`;
}
export function isNotNull(col: ColRef): Sql {
  return sql`${col} IS NOT NULL`;
}

/** A condition, or the empty fragment when the value is undefined/null. */
export function filter(col: ColRef, op: "between", value: [SqlValue, SqlValue] | undefined): Sql;
export function filter(col: ColRef, op: "in" | "notIn", value: SqlValue[] | undefined): Sql;
export function filter(col: ColRef, op: "isNull" | "isNotNull", value: boolean | undefined): Sql;
export function filter(col: ColRef, op: "like" | "ilike", value: string | undefined): Sql;
export function filter(
  col: ColRef,
  op: Exclude<
    FilterOperator,
    "between" | "in" | "notIn" | "isNull" | "isNotNull" | "like" | "ilike"
  >,
  value: SqlValue | undefined,
): Sql;
export function filter(col: ColRef, op: FilterOperator, value: unknown): Sql {
  if (value === undefined || value === null) return empty;
  const scalar = value as SqlValue;
  const list = value as SqlValue[];
  switch (op) {
    case "eq":
      return eq(col, scalar);
    case "ne":
      return ne(col, scalar);
    case "gt":
      return gt(col, scalar);
    case "gte":
      return gte(col, scalar);
    case "lt":
      return lt(col, scalar);
    case "lte":
      return lte(col, scalar);
    case "like":
      return like(col, value as string);
    case "ilike":
      return ilike(col, value as string);
    case "in":
      return inList(col, list);
    case "notIn":
      return notIn(col, list);
    case "between":
      return between(col, list[0]!, list[1]!);
    case "isNull":
      return value ? isNull(col) : empty;
    case "isNotNull":
      return value ? isNotNull(col) : empty;
  }
}

/** Non-empty conditions joined by AND. */
export function and(...conditions: Sql[]): Sql {
  return join(
    conditions.filter((c) => !isEmpty(c)),
    "AND",
  );
}
/** Non-empty conditions joined by OR (parenthesized when more than one). */
export function or(...conditions: Sql[]): Sql {
  const kept = conditions.filter((c) => !isEmpty(c));
  if (kept.length === 0) return empty;
  if (kept.length === 1) return kept[0]!;
  return sql`(${join(kept, "OR")})`;
}
export function not(condition: Sql): Sql {
  return isEmpty(condition) ? empty : sql`NOT (${condition})`;
}
/** `WHERE …`, or nothing without conditions. */
export function where(...conditions: Sql[]): Sql {
  const all = and(...conditions);
  return isEmpty(all) ? empty : sql`WHERE ${all}`;
}
export function orderBy(...cols: Array<ColRef | [ColRef, "ASC" | "DESC"]>): Sql {
  if (cols.length === 0) return empty;
  const parts = cols.map((c) => (Array.isArray(c) ? sql`${c[0]} ${raw(c[1])}` : sql`${c}`));
  return sql`ORDER BY ${join(parts)}`;
}
const nonNegative = (n: number, what: string): void => {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer`);
};
export function limit(n: number): Sql {
  nonNegative(n, "LIMIT");
  return sql`LIMIT ${n}`;
}
export function offset(n: number): Sql {
  nonNegative(n, "OFFSET");
  return sql`OFFSET ${n}`;
}
/** `LIMIT size` plus `OFFSET page*size` after the first page. */
export function paginate(pageSize: number, page = 0): Sql {
  if (!Number.isInteger(pageSize) || pageSize <= 0)
    throw new Error("pageSize must be a positive integer");
  nonNegative(page, "page");
  const skip = page * pageSize;
  return skip > 0 ? sql`LIMIT ${pageSize} OFFSET ${skip}` : sql`LIMIT ${pageSize}`;
}
export function groupBy(...cols: ColRef[]): Sql {
  if (cols.length === 0) return empty;
  return sql`GROUP BY ${join(cols.map((c) => sql`${c}`))}`;
}
export function having(...conditions: Sql[]): Sql {
  const all = and(...conditions);
  return isEmpty(all) ? empty : sql`HAVING ${all}`;
}

const identifier = (name: string): Sql => raw(quoteIdentifier(name));

/** An expression that can be aliased: `sum(x).as("total")`. */
export interface Expr extends Sql {
  as(alias: string): Sql;
}
const expr = (fragment: Sql): Expr => {
  const e = Object.create(fragment) as Expr;
  e.as = (alias: string) => sql`${fragment} AS ${identifier(alias)}`;
  return e;
};

export function count(col?: ColRef): Expr {
  return expr(col ? sql`count(${col})` : sql`count(*)`);
}
export function countDistinct(col: ColRef): Expr {
  return expr(sql`count(DISTINCT ${col})`);
}
export function sum(col: ColRef): Expr {
  return expr(sql`sum(${col})`);
}
export function avg(col: ColRef): Expr {
  return expr(sql`avg(${col})`);
}
export function min(col: ColRef): Expr {
  return expr(sql`min(${col})`);
}
export function max(col: ColRef): Expr {
  return expr(sql`max(${col})`);
}
/** `SELECT a, b AS x`, or `SELECT *`. */
export function select(...cols: Array<ColRef | [ColRef, string]>): Sql {
  if (cols.length === 0) return sql`SELECT *`;
  const parts = cols.map((c) =>
    Array.isArray(c) ? sql`${c[0]} AS ${identifier(c[1])}` : sql`${c}`,
  );
  return sql`SELECT ${join(parts)}`;
}
export function as(expression: Sql, alias: string): Sql {
  return sql`${expression} AS ${identifier(alias)}`;
}

// ---------------------------------------------------------------- query model types

export interface DimensionDef<TModel = any, TKey extends keyof TModel = keyof TModel> {
  column?: TKey;
  expression?: Sql;
  as?: string;
  description?: string;
}
export interface MetricDef {
  agg: Sql;
  as?: string;
  description?: string;
}
export interface ColumnDef<TModel = any, TKey extends keyof TModel = keyof TModel> {
  column: TKey | string;
  join?: string;
  as?: string;
}
export interface JoinDef {
  table: OlapTable<any> | MaterializedView<any>;
  on?: Sql;
  leftKey?: string;
  rightKey?: string;
  type?: "LEFT" | "INNER";
}
export type FilterInputTypeHint = "text" | "number" | "date" | "select" | "multiselect";
export interface ModelFilterDef<TModel, TKey extends keyof TModel = keyof TModel> {
  column?: TKey;
  /** A metric name: the filter goes to HAVING. */
  metric?: string;
  operators: readonly FilterOperator[];
  transform?: (value: TModel[TKey]) => SqlValue;
  inputType?: FilterInputTypeHint;
  required?: true;
  description?: string;
}
export type Names<T> = Extract<keyof T, string>;
export type OperatorValueType<Op extends FilterOperator, TValue = SqlValue> = Op extends
  "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike"
  ? TValue
  : Op extends "in" | "notIn"
    ? TValue[]
    : Op extends "between"
      ? [TValue, TValue]
      : Op extends "isNull" | "isNotNull"
        ? boolean
        : never;
export type FilterDefBase = { operators: readonly FilterOperator[] };
export type FilterParams<TFilters extends Record<string, FilterDefBase>, TTable = any> = {
  [K in keyof TFilters]?: {
    [Op in TFilters[K]["operators"][number]]?: OperatorValueType<
      Op,
      TFilters[K] extends { column: infer TKey extends keyof TTable } ? TTable[TKey] : SqlValue
    >;
  };
};
export type QueryRequest<
  TMetrics extends string = string,
  TDimensions extends string = string,
  TFilters extends Record<string, FilterDefBase> = Record<string, FilterDefBase>,
  TSortable extends string = string,
  TColumns extends string = string,
  TTable = any,
> = {
  filters?: FilterParams<TFilters, TTable>;
  dimensions?: TDimensions[];
  metrics?: TMetrics[];
  /** Detail mode (no aggregation); exclusive with dimensions/metrics. */
  columns?: TColumns[];
  orderBy?: Array<[TSortable, SortDir]>;
  limit?: number;
  /** 0-based page; exclusive with offset. */
  page?: number;
  offset?: number;
};
export interface QueryParts {
  select: Sql;
  dimensions: Sql;
  metrics: Sql;
  columns: Sql;
  from: Sql;
  conditions: Sql[];
  where: Sql;
  groupBy: Sql;
  having: Sql;
  orderBy: Sql;
  pagination: Sql;
}
interface ModelDefaults<TSortable extends string> {
  orderBy?: Array<[TSortable, SortDir]>;
  groupBy?: string[];
  limit?: number;
  maxLimit?: number;
  dimensions?: string[];
  metrics?: string[];
  columns?: string[];
}
export interface QueryModelConfig<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef<TTable, keyof TTable>>,
  TFilters extends Record<string, ModelFilterDef<TTable, keyof TTable>>,
  TSortable extends string,
  TColumns extends Record<string, ColumnDef<TTable>> = Record<string, never>,
  TJoins extends Record<string, JoinDef> = Record<string, never>,
> {
  name?: string;
  description?: string;
  table: OlapTable<TTable> | MaterializedView<TTable>;
  dimensions?: TDimensions;
  metrics?: TMetrics;
  columns?: TColumns;
  joins?: TJoins;
  filters: TFilters;
  sortable: readonly TSortable[];
  defaults?: ModelDefaults<TSortable>;
}
type RequestOf<
  TTable,
  TMetrics,
  TDimensions,
  TFilters extends Record<string, FilterDefBase>,
  TSortable extends string,
  TColumns,
> = QueryRequest<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, Names<TColumns>, TTable>;
export interface QueryModel<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef>,
  TFilters extends Record<string, FilterDefBase>,
  TSortable extends string,
  TResult,
  TColumns extends Record<string, ColumnDef> = Record<string, never>,
> {
  readonly name?: string;
  readonly description?: string;
  readonly defaults: ModelDefaults<TSortable>;
  readonly filters: TFilters;
  readonly sortable: readonly TSortable[];
  readonly dimensions?: TDimensions;
  readonly metrics?: TMetrics;
  readonly columns?: TColumns;
  readonly columnNames: readonly string[];
  readonly $inferDimensions: Names<TDimensions>;
  readonly $inferMetrics: Names<TMetrics>;
  readonly $inferColumns: Names<TColumns>;
  readonly $inferFilters: FilterParams<TFilters, TTable>;
  readonly $inferRequest: RequestOf<TTable, TMetrics, TDimensions, TFilters, TSortable, TColumns>;
  readonly $inferResult: TResult;
  query(
    request: RequestOf<TTable, TMetrics, TDimensions, TFilters, TSortable, TColumns>,
    client: QueryClient,
  ): Promise<TResult[]>;
  toSql(request: RequestOf<TTable, TMetrics, TDimensions, TFilters, TSortable, TColumns>): Sql;
  toParts(
    request: RequestOf<TTable, TMetrics, TDimensions, TFilters, TSortable, TColumns>,
  ): QueryParts;
}

// ---------------------------------------------------------------- query model

interface Field {
  column?: Column;
  expression?: Sql;
  agg?: Sql;
  as?: string;
}
interface ResolvedFilter {
  column: ColRef;
  operators: readonly FilterOperator[];
  transform?: (value: any) => SqlValue;
  having: boolean;
}

const targetOf = (t: OlapTable<any> | MaterializedView<any>): OlapTable<any> =>
  t instanceof MaterializedView ? t.targetTable : t;

const transformValue = (op: string, value: any, f: (v: any) => SqlValue): any => {
  if (op === "in" || op === "notIn") return (value as any[]).map(f);
  if (op === "between") return [f((value as any[])[0]), f((value as any[])[1])];
  if (op === "isNull" || op === "isNotNull") return value;
  return f(value);
};

/** A query model over a table (or a materialized view's target): SQL from semantic requests. */
export function defineQueryModel<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef<TTable, keyof TTable>>,
  TFilters extends Record<string, ModelFilterDef<TTable, keyof TTable>>,
  TSortable extends string,
  TColumns extends Record<string, ColumnDef<TTable>> = Record<string, never>,
  TJoins extends Record<string, JoinDef> = Record<string, never>,
  TResult = TTable,
>(
  config: QueryModelConfig<TTable, TMetrics, TDimensions, TFilters, TSortable, TColumns, TJoins>,
): QueryModel<TTable, TMetrics, TDimensions, TFilters, TSortable, TResult, TColumns> {
  const table = targetOf(config.table);
  const defaults: ModelDefaults<TSortable> = config.defaults ?? {};
  const tableName = table.generateTableName();
  const joins = (config.joins ?? {}) as Record<string, JoinDef>;
  const joined = Object.keys(joins).length > 0;
  const columnOf = (name: string): Column | undefined =>
    (table.columns as Record<string, Column | undefined>)[name];
  const qualifiedIn = (t: string, c: string) => raw(`${quoteIdentifier(t)}.${quoteIdentifier(c)}`);

  const dimensions: Record<string, Field> = {};
  for (const [name, d] of Object.entries(
    (config.dimensions ?? {}) as Record<string, DimensionDef>,
  )) {
    const col = d.column === undefined ? undefined : String(d.column);
    dimensions[name] = {
      column: col !== undefined && !joined ? columnOf(col) : undefined,
      expression:
        d.expression ?? (col !== undefined && joined ? qualifiedIn(tableName, col) : undefined),
      as: d.as,
    };
  }
  const metrics: Record<string, Field> = {};
  for (const [name, m] of Object.entries((config.metrics ?? {}) as Record<string, MetricDef>))
    metrics[name] = { agg: m.agg, as: m.as };
  const columns: Record<string, Field> = {};
  for (const [name, c] of Object.entries((config.columns ?? {}) as Record<string, ColumnDef>)) {
    const col = String(c.column);
    if (c.join && joined) {
      const j = joins[c.join];
      if (!j) throw new Error(`Column '${name}' references unknown join '${c.join}'`);
      columns[name] = {
        expression: qualifiedIn(targetOf(j.table).generateTableName(), col),
        as: c.as,
      };
    } else if (joined) {
      columns[name] = { expression: qualifiedIn(tableName, col), as: c.as };
    } else {
      columns[name] = { column: columnOf(col), as: c.as };
    }
  }

  const resolvedFilters: Record<string, ResolvedFilter> = {};
  const publicFilters: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(
    config.filters as unknown as Record<string, ModelFilterDef<any>>,
  )) {
    if (f.metric) {
      const m = metrics[f.metric];
      if (!m) throw new Error(`Filter '${name}' references unknown metric '${f.metric}'`);
      const inputType = f.inputType ?? "number";
      resolvedFilters[name] = {
        column: identifier(m.as ?? f.metric),
        operators: f.operators,
        transform: f.transform,
        having: true,
      };
      publicFilters[name] = { ...f, inputType };
    } else if (f.column !== undefined && f.column !== null) {
      const col = columnOf(String(f.column));
      if (!col)
        throw new Error(
          `Filter '${name}' references unknown column '${String(f.column)}' on table '${tableName}'`,
        );
      const inputType =
        f.inputType ?? (col.data_type ? deriveInputTypeFromDataType(col.data_type) : undefined);
      resolvedFilters[name] = {
        column: joined ? qualifiedIn(tableName, String(f.column)) : col,
        operators: f.operators,
        transform: f.transform,
        having: false,
      };
      publicFilters[name] = { ...f, inputType };
    } else {
      throw new Error(`Filter '${name}' must specify either 'column' or 'metric'`);
    }
  }

  const fields: Record<string, Field> = { ...dimensions, ...metrics, ...columns };
  const fieldExpr = (f: Field): Sql =>
    f.agg ?? f.expression ?? (f.column ? sql`${f.column}` : empty);
  const aliased = (f: Field, name: string): Sql => {
    const e = fieldExpr(f);
    return isEmpty(e) ? empty : sql`${e} AS ${identifier(f.as ?? name)}`;
  };
  const fieldList = (defs: Record<string, Field>, names?: string[]): Sql[] =>
    (names ?? Object.keys(defs))
      .map((n) => (defs[n] ? aliased(defs[n], n) : empty))
      .filter((s) => !isEmpty(s));

  const toParts = (request: QueryRequest<string, string, any, string, string, any>): QueryParts => {
    const detail = (request.columns?.length ?? 0) > 0;
    const chosen = detail
      ? request.columns
      : [...(request.dimensions ?? []), ...(request.metrics ?? [])];
    const selected = chosen && chosen.length > 0 ? chosen : undefined;
    const groupFields = detail
      ? undefined
      : request.dimensions && request.dimensions.length > 0
        ? request.dimensions
        : undefined;
    if (request.offset != null && request.page != null)
      throw new Error("Cannot specify both 'offset' and 'page' — they are mutually exclusive");
    const wanted = request.limit ?? defaults.limit;
    const max = defaults.maxLimit;
    const lim = wanted != null && max != null ? Math.min(wanted, max) : (wanted ?? max);
    if (lim == null && (request.page != null || request.offset != null))
      throw new Error(
        "Cannot use 'page' or 'offset' without a 'limit' — set a limit on the request or in model defaults",
      );
    const pagination =
      lim == null
        ? empty
        : request.offset != null
          ? sql`LIMIT ${lim} OFFSET ${request.offset}`
          : paginate(lim, request.page ?? 0);
    const names =
      selected ??
      (detail ? Object.keys(fields) : [...Object.keys(dimensions), ...Object.keys(metrics)]);
    const pick = (defs: Record<string, Field>) => {
      const mine = names.filter((n) => n in defs);
      return fieldList(defs, mine.length > 0 ? mine : undefined);
    };
    const whereConds: Sql[] = [];
    const havingConds: Sql[] = [];
    for (const [fname, ops] of Object.entries((request.filters ?? {}) as Record<string, any>)) {
      const f = resolvedFilters[fname];
      if (!f) throw new Error(`Unknown filter '${fname}'`);
      if (!ops) continue;
      for (const [op, value] of Object.entries(ops as Record<string, unknown>)) {
        if (value === undefined) continue;
        if (!f.operators.includes(op as FilterOperator))
          throw new Error(`Operator '${op}' not allowed for filter '${fname}'`);
        const cond = (filter as (c: ColRef, o: string, v: unknown) => Sql)(
          f.column,
          op,
          transformValue(op, value, f.transform ?? ((v: any) => v as SqlValue)),
        );
        if (!isEmpty(cond)) (f.having ? havingConds : whereConds).push(cond);
      }
    }
    const groupNames = groupFields ?? defaults.groupBy;
    const group =
      detail || !groupNames || groupNames.length === 0
        ? empty
        : groupBy(
            ...groupNames.map((n) => {
              const f = n in dimensions ? fields[n] : undefined;
              if (!f) throw new Error(`Field '${n}' is not a valid dimension`);
              return f.expression ?? (f.column ? sql`${f.column}` : raw(n));
            }),
          );
    const orderSpec =
      request.orderBy && request.orderBy.length > 0 ? request.orderBy : defaults.orderBy;
    let order = empty;
    if (orderSpec && orderSpec.length > 0) {
      const chosenSet = new Set(names);
      const parts = orderSpec
        .map(([field, dir]) => {
          if (!(config.sortable as readonly string[]).includes(field))
            throw new Error(`Field '${field}' is not sortable`);
          if (dir !== "ASC" && dir !== "DESC")
            throw new Error(`Invalid sort direction '${String(dir)}'`);
          const f = fields[field];
          if (!f || (field in dimensions && !chosenSet.has(field))) return empty;
          const e = f.agg
            ? identifier(f.as ?? field)
            : (f.expression ?? (f.column ? sql`${f.column}` : empty));
          return isEmpty(e) ? empty : sql`${e} ${raw(dir)}`;
        })
        .filter((p) => !isEmpty(p));
      if (parts.length > 0) order = sql`ORDER BY ${join(parts)}`;
    }
    let from = sql`FROM ${table}`;
    for (const j of Object.values(joins)) {
      const other = targetOf(j.table);
      const on =
        j.leftKey && j.rightKey
          ? raw(
              `${quoteIdentifier(tableName)}.${quoteIdentifier(j.leftKey)} = ${quoteIdentifier(other.generateTableName())}.${quoteIdentifier(j.rightKey)}`,
            )
          : j.on;
      if (!on) throw new Error("JoinDef must specify either leftKey/rightKey or on");
      from = sql`${from} ${raw(j.type ?? "LEFT")} JOIN ${other} ON ${on}`;
    }
    const dims = pick(dimensions);
    const mets = pick(metrics);
    const cols = pick(columns);
    return {
      select: sql`SELECT ${join(fieldList(fields, names))}`,
      dimensions: dims.length > 0 ? join(dims) : empty,
      metrics: mets.length > 0 ? join(mets) : empty,
      columns: cols.length > 0 ? join(cols) : empty,
      from,
      conditions: whereConds,
      where: whereConds.length > 0 ? where(...whereConds) : empty,
      groupBy: group,
      having: havingConds.length > 0 ? having(...havingConds) : empty,
      orderBy: order,
      pagination,
    };
  };
  const toSql = (request: QueryRequest<string, string, any, string, string, any>): Sql => {
    const p = toParts(request);
    return sql`
      ${p.select}
      ${p.from}
      ${p.where}
      ${p.groupBy}
      ${p.having}
      ${p.orderBy}
      ${p.pagination}
    `;
  };
  const model = {
    name: config.name,
    description: config.description,
    defaults,
    filters: publicFilters,
    sortable: config.sortable,
    dimensions: config.dimensions,
    metrics: config.metrics,
    columns: config.columns,
    columnNames: Object.keys(columns),
    query: () => rejectNotAvailable<TResult[]>("QueryModel.query"),
    toSql,
    toParts,
    $inferDimensions: undefined,
    $inferMetrics: undefined,
    $inferColumns: undefined,
    $inferFilters: undefined,
    $inferRequest: undefined,
    $inferResult: undefined,
  };
  return model as unknown as QueryModel<
    TTable,
    TMetrics,
    TDimensions,
    TFilters,
    TSortable,
    TResult,
    TColumns
  >;
}

// ---------------------------------------------------------------- fluent builder

export interface QueryBuilder<
  TMetrics extends string,
  TDimensions extends string,
  TFilters extends Record<string, FilterDefBase>,
  TSortable extends string,
  TResult,
  TTable = any,
  TColumns extends string = string,
> {
  filter<K extends keyof TFilters, Op extends TFilters[K]["operators"][number]>(
    filterName: K,
    op: Op,
    value: OperatorValueType<Op, SqlValue> | undefined,
  ): this;
  dimensions(fields: TDimensions[]): this;
  metrics(fields: TMetrics[]): this;
  columns(fields: TColumns[]): this;
  orderBy(...orders: Array<[TSortable, SortDir]>): this;
  limit(n: number): this;
  page(n: number): this;
  offset(n: number): this;
  build(): QueryRequest<TMetrics, TDimensions, TFilters, TSortable, TColumns, TTable>;
  toSql(): Sql;
  toParts(): QueryParts;
  assemble(fn: (parts: QueryParts) => Sql): Sql;
  execute(client: QueryClient): Promise<TResult[]>;
}

/** A chainable request builder for a query model. */
export function buildQuery<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef>,
  TFilters extends Record<string, FilterDefBase>,
  TSortable extends string,
  TResult,
  TColumns extends Record<string, ColumnDef> = Record<string, never>,
>(
  model: QueryModel<TTable, TMetrics, TDimensions, TFilters, TSortable, TResult, TColumns>,
): QueryBuilder<
  Names<TMetrics>,
  Names<TDimensions>,
  TFilters,
  TSortable,
  TResult,
  TTable,
  Names<TColumns>
> {
  /* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- the builder's state is the request under construction, typed by QueryBuilder's signature */
  const state: Record<string, any> = { filters: Object.create(null) as Record<string, any> };
  const request = (): any => ({
    filters: Object.keys(state.filters as object).length > 0 ? state.filters : undefined,
    dimensions: state.dimensions,
    metrics: state.metrics,
    columns: state.columns,
    orderBy: state.orderBy,
    limit: state.limit,
    page: state.page,
    offset: state.offset,
  });
  const builder: any = {
    filter(name: PropertyKey, op: string, value: unknown) {
      if (value === undefined || value === null) return builder;
      const key = String(name);
      const filters = state.filters as Record<string, Record<string, unknown>>;
      (filters[key] ??= {})[op] = value;
      return builder;
    },
    dimensions: (f: unknown) => ((state.dimensions = f), builder),
    metrics: (f: unknown) => ((state.metrics = f), builder),
    columns: (f: unknown) => ((state.columns = f), builder),
    orderBy: (...o: unknown[]) => ((state.orderBy = o), builder),
    limit: (n: number) => ((state.limit = n), builder),
    page: (n: number) => ((state.page = n), (state.offset = undefined), builder),
    offset: (n: number) => ((state.offset = n), (state.page = undefined), builder),
    build: request,
    toSql: () => model.toSql(request()),
    toParts: () => model.toParts(request()),
    assemble: (fn: (p: QueryParts) => Sql) => fn(model.toParts(request())),
    execute: (client: QueryClient) => model.query(request(), client),
  };
  /* eslint-enable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument */
  return builder as QueryBuilder<
    Names<TMetrics>,
    Names<TDimensions>,
    TFilters,
    TSortable,
    TResult,
    TTable,
    Names<TColumns>
  >;
}

// ---------------------------------------------------------------- table-derived helpers

const INPUT_TYPE_BY_PREFIX: [string, FilterInputTypeHint][] = [
  ["datetime", "date"],
  ["date", "date"],
  ["uint", "number"],
  ["int", "number"],
  ["float", "number"],
  ["decimal", "number"],
  ["enum", "select"],
  ["boolean", "select"],
  ["bool", "select"],
];

/** The filter input hint for a column type. */
export function deriveInputTypeFromDataType(dataType: DataType): FilterInputTypeHint {
  if (typeof dataType === "string") {
    const lower = dataType.toLowerCase();
    return INPUT_TYPE_BY_PREFIX.find(([p]) => lower.startsWith(p))?.[1] ?? "text";
  }
  if ("nullable" in dataType) return deriveInputTypeFromDataType(dataType.nullable);
  if ("name" in dataType && "values" in dataType) return "select";
  return "text";
}

type DefaultTimePeriods = { day: DimensionDef; month: DimensionDef; week: DimensionDef };
const TIME_PERIODS: Record<string, (c: Column) => DimensionDef> = {
  day: (c) => ({ expression: sql`toDate(${c})`, as: "day" }),
  month: (c) => ({ expression: sql`toStartOfMonth(${c})`, as: "month" }),
  week: (c) => ({ expression: sql`toStartOfWeek(${c})`, as: "week" }),
};

/** day / month / week dimensions of a date column. */
export function timeDimensions(dateColumn: Column): DefaultTimePeriods;
export function timeDimensions(
  dateColumn: Column,
  options: { periods: string[] },
): Record<string, DimensionDef>;
export function timeDimensions(
  dateColumn: Column,
  options?: { periods: string[] },
): Record<string, DimensionDef> {
  const out: Record<string, DimensionDef> = {};
  for (const period of options?.periods ?? ["day", "month", "week"]) {
    const make = TIME_PERIODS[period];
    if (!make)
      throw new Error(
        `Unknown time period '${period}'. Supported: ${Object.keys(TIME_PERIODS).join(", ")}`,
      );
    out[period] = make(dateColumn);
  }
  return out;
}

export interface TableFieldOptions {
  include?: string[];
  exclude?: string[];
  /** snake_case keys to camelCase (default true). */
  camelCase?: boolean;
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const tableFields = <T, V>(
  table: OlapTable<T>,
  options: TableFieldOptions | undefined,
  make: (c: Column) => V,
): Record<string, V> => {
  const out: Record<string, V> = {};
  for (const c of table.columnArray) {
    const name = String(c.name);
    if (options?.include && !options.include.includes(name)) continue;
    if (options?.exclude?.includes(name)) continue;
    out[(options?.camelCase ?? true) ? camel(name) : name] = make(c);
  }
  return out;
};

/** A ColumnDef per table column. */
export function columnsFromTable<T>(
  table: OlapTable<T>,
  options?: TableFieldOptions,
): Record<string, ColumnDef<T>> {
  return tableFields(table, options, (c) => ({ column: String(c.name) }));
}

/** An `eq` filter per table column. */
export function filtersFromTable<T>(
  table: OlapTable<T>,
  options?: TableFieldOptions,
): Record<string, ModelFilterDef<T, keyof T>> {
  return tableFields(table, options, (c) => ({
    column: String(c.name) as keyof T,
    operators: ["eq"] as const,
    inputType: deriveInputTypeFromDataType(c.data_type),
  }));
}

// ---------------------------------------------------------------- MCP tools and schemas

export interface QueryModelFilter {
  operators: readonly string[];
  inputType?: FilterInputTypeHint;
  required?: true;
  description?: string;
}
export interface QueryModelBase {
  readonly name?: string;
  readonly description?: string;
  readonly defaults: {
    orderBy?: Array<[string, SortDir]>;
    groupBy?: string[];
    limit?: number;
    maxLimit?: number;
    dimensions?: string[];
    metrics?: string[];
    columns?: string[];
  };
  readonly filters: Record<string, QueryModelFilter>;
  readonly sortable: readonly string[];
  readonly dimensions?: Record<string, DimensionDef>;
  readonly metrics?: Record<string, MetricDef>;
  readonly columnNames: readonly string[];
  toSql(request: Record<string, unknown>): Sql;
}
export interface ModelToolOptions {
  requiredFilters?: string[];
  maxLimit?: number;
  defaultLimit?: number;
  defaults?: { dimensions?: string[]; metrics?: string[]; columns?: string[]; limit?: number };
}
export interface ModelToolResult {
  /** Zod shape for `server.tool()` (typed loosely: no zod dependency in the types). */
  schema: Record<string, any>;
  buildRequest: (params: Record<string, unknown>) => Record<string, unknown>;
}

export function createModelTool(
  _model: QueryModelBase,
  _options?: ModelToolOptions,
): ModelToolResult {
  throw notAvailable("createModelTool");
}

export function registerModelTools(
  _server: any,
  _models: QueryModelBase[],
  _queryClient: QueryClient,
): void {
  throw notAvailable("registerModelTools");
}

export interface SchemaMetric {
  id: string;
  label: string;
  description?: string;
}
export interface SchemaDimension {
  id: string;
  label: string;
  description?: string;
}
export interface SchemaFilterValue {
  value: string;
  label: string;
}
export interface SchemaFilter {
  id: string;
  label: string;
  operators: string[];
  inputType?: FilterInputTypeHint;
  description?: string;
  required?: boolean;
  values?: SchemaFilterValue[];
}
export interface QueryModelSchema {
  name?: string;
  description?: string;
  metrics: SchemaMetric[];
  dimensions: SchemaDimension[];
  filters: SchemaFilter[];
  sortable: string[];
  defaults: {
    orderBy?: Array<[string, string]>;
    groupBy?: string[];
    limit?: number;
    maxLimit?: number;
    dimensions?: string[];
    metrics?: string[];
    columns?: string[];
  };
}
export interface GetModelSchemaOptions {
  /** Fetches categorical filters' values from ClickHouse (not available while models load). */
  client?: QueryClient;
}

/** The model's metrics, dimensions, filters, sortable fields and defaults, for report UIs. */
export function getModelSchema(
  model: QueryModelBase,
  options: GetModelSchemaOptions = {},
): Promise<QueryModelSchema> {
  if (options.client) return rejectNotAvailable("getModelSchema with a client");
  const described = (entries: Record<string, { description?: string }>) =>
    Object.entries(entries).map(([id, d]) => ({ id, label: id, description: d.description }));
  return Promise.resolve({
    name: model.name,
    description: model.description,
    metrics: described(model.metrics ?? {}),
    dimensions: described(model.dimensions ?? {}),
    filters: Object.entries(model.filters).map(([id, f]) => ({
      id,
      label: id,
      operators: [...f.operators],
      inputType: f.inputType,
      description: f.description,
      ...(f.required ? { required: true } : {}),
    })),
    sortable: [...model.sortable],
    defaults: { ...model.defaults },
  });
}

// ---------------------------------------------------------------- request validation

/** A validation failure as API clients receive it. */
export interface ValidationError {
  path: string;
  message: string;
  expected: string;
  received: string;
}

/** typia's validation result, structurally. */
export type TypiaValidation<T> =
  | { success: true; data: T; errors?: unknown[] }
  | { success: false; errors: { path: string; expected: string; value: any }[]; data?: unknown };

/** Thrown by assertValid: a 400 with the validation errors. */
export class BadRequestError extends Error {
  readonly errors: ValidationError[];
  constructor(typiaErrors: { path: string; expected: string; value: any }[]) {
    super("Validation failed");
    this.name = "BadRequestError";
    this.errors = typiaErrors.map((e) => ({
      path: e.path,
      message: `Expected ${e.expected}`,
      expected: e.expected,
      received: e.value === undefined ? "undefined" : String(e.value),
    }));
  }
  toJSON(): { error: string; details: ValidationError[] } {
    return { error: this.message, details: this.errors };
  }
}

/** The data of a successful validation; throws BadRequestError otherwise. */
export function assertValid<T>(result: TypiaValidation<T>): T {
  if (!result.success) throw new BadRequestError(result.errors);
  return result.data;
}

export interface QueryHandler<P, R> {
  run: (params: P) => Promise<R>;
  fromObject: (input: unknown) => Promise<R>;
  fromUrl: (url: string | URL) => Promise<R>;
}

/** A query function with validated entry points (parameters, an object, a URL). */
export function createQueryHandler<P, R>(config: {
  fromUrl: (input: string | URLSearchParams) => TypiaValidation<P>;
  fromObject: (input: unknown) => TypiaValidation<P>;
  queryFn: (params: P) => Promise<R>;
}): QueryHandler<P, R> {
  return {
    run: config.queryFn,
    fromObject: (input) => config.queryFn(assertValid(config.fromObject(input))),
    fromUrl: (url) => {
      const params =
        typeof url === "string" ? new URL(url, "http://localhost").searchParams : url.searchParams;
      return config.queryFn(assertValid(config.fromUrl(params)));
    },
  };
}
