/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's query parameter map is `{ [pN: string]: any }` */
/**
 * The `sql` template tag with moose-lib's semantics: interpolated tables render as their
 * deployed identifier (`` `db`.`name_1_0` ``), views as `` `db`.`view` ``, columns as
 * `` `col` `` (aggregate-state columns as `fnMerge(`col`)`), dictionaries as their quoted
 * qualified name, nested `Sql` is flattened, and any other value becomes a query parameter.
 */
import type { Column } from "./column";
import type { OlapDictionary } from "./dictionaries";
import type { OlapTable } from "./olap-table";
import type { View } from "./views";

/** Quotes a ClickHouse identifier with backticks unless it already is. */
export const quoteIdentifier = (name: string): string =>
  name.startsWith("`") && name.endsWith("`") ? name : `\`${name}\``;

export type IdentifierBrandedString = string & { readonly __identifier_brand?: unique symbol };
export type NonIdentifierBrandedString = string & { readonly __identifier_brand?: unique symbol };

/** A value the SQL engine takes as a parameter (`[type, value]` is an explicit typed one). */
export type Value = NonIdentifierBrandedString | number | boolean | Date | [string, string];
/** A value or a nested `Sql`. */
export type RawValue = Value | Sql;

type Interpolated = RawValue | Column | OlapTable<any> | View | OlapDictionary<any>;

export interface SqlTemplateTag {
  /** @deprecated Use `sql.statement` (whole statements) or `sql.fragment` (parts). */
  (strings: readonly string[], ...values: readonly Interpolated[]): Sql;
  /** A whole statement (`isFragment = false`). */
  statement(strings: readonly string[], ...values: readonly Interpolated[]): Sql;
  /** A part of a statement (`isFragment = true`). */
  fragment(strings: readonly string[], ...values: readonly Interpolated[]): Sql;
  /** The fragments joined by `separator` (default `", "`). */
  join(fragments: Sql[], separator?: string): Sql;
  /** Text taken as SQL as it is, without parameters. Never pass untrusted input. */
  raw(text: string): Sql;
}

interface TableLike {
  kind: "OlapTable";
  config: { database?: string };
  generateTableName(): string;
}
interface ViewLike {
  kind: "View";
  name: string;
  database?: string;
}
interface DictionaryLike {
  kind: "OlapDictionary";
  getQualifiedName(): string;
}
interface ColumnLike {
  name: string;
  annotations: [string, unknown][];
}

const hasKind = (v: unknown, kind: string): boolean =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === kind;
const isSqlLike = (v: unknown): v is Sql =>
  typeof v === "object" && v !== null && "values" in v && "strings" in v;
const isColumnLike = (v: unknown): v is ColumnLike =>
  typeof v === "object" && v !== null && !("kind" in v) && "name" in v && "annotations" in v;

/** A column reference: `` `c` ``, or `fnMerge(`c`)` for an aggregate-state column. */
const columnText = (c: ColumnLike): string => {
  const agg = c.annotations.find(([k]) => k === "aggregationFunction");
  if (agg === undefined) return `\`${c.name}\``;
  const fn = String((agg[1] as { functionName?: unknown }).functionName);
  const paren = fn.indexOf("(");
  const merged = paren === -1 ? `${fn}Merge` : `${fn.slice(0, paren)}Merge${fn.slice(paren)}`;
  return `${merged}(\`${c.name}\`)`;
};

const qualified = (database: string | undefined, name: string): string =>
  database ? `\`${database}\`.\`${name}\`` : `\`${name}\``;

/** Text an interpolated object renders as, or undefined when it is a parameter value. */
const inlineText = (v: unknown): string | undefined => {
  if (isColumnLike(v)) return columnText(v);
  if (hasKind(v, "OlapTable")) {
    const t = v as TableLike;
    return qualified(t.config.database, t.generateTableName());
  }
  if (hasKind(v, "View")) {
    const view = v as ViewLike;
    return qualified(view.database, view.name);
  }
  if (hasKind(v, "OlapDictionary"))
    return `'${(v as DictionaryLike).getQualifiedName().replace(/'/g, "''")}'`;
  return undefined;
};

/** SQL text with its parameter values: `strings[i]` surrounds `values[i]`. */
export class Sql {
  readonly values: Value[];
  readonly strings: string[];
  readonly isFragment: boolean | undefined;

  constructor(
    rawStrings: readonly string[],
    rawValues: readonly (Interpolated | Sql)[],
    isFragment?: boolean,
  ) {
    if (rawStrings.length === 0) throw new TypeError("Expected at least 1 string");
    if (rawStrings.length - 1 !== rawValues.length)
      throw new TypeError(
        `Expected ${rawStrings.length} strings to have ${rawStrings.length - 1} values`,
      );
    const strings: string[] = [rawStrings[0]!];
    const values: Value[] = [];
    const appendText = (text: string) => {
      strings[strings.length - 1] += text;
    };
    rawValues.forEach((child, i) => {
      const following = rawStrings[i + 1]!;
      if (isSqlLike(child)) {
        appendText(child.strings[0]!);
        child.values.forEach((value, j) => {
          values.push(value);
          strings.push(child.strings[j + 1]!);
        });
        appendText(following);
        return;
      }
      const text = inlineText(child);
      if (text !== undefined) {
        appendText(text + following);
        return;
      }
      values.push(child as Value);
      strings.push(following);
    });
    this.strings = strings;
    this.values = values;
    this.isFragment = isFragment;
  }

  /** This SQL followed by `other`, as a new Sql. */
  append(other: Sql): Sql {
    return new Sql([...this.strings, ""], [...this.values, other], this.isFragment);
  }
}

const tag = (strings: readonly string[], ...values: readonly Interpolated[]): Sql =>
  new Sql(strings, values);

export const sql: SqlTemplateTag = Object.assign(tag, {
  statement: (strings: readonly string[], ...values: readonly Interpolated[]): Sql =>
    new Sql(strings, values, false),
  fragment: (strings: readonly string[], ...values: readonly Interpolated[]): Sql =>
    new Sql(strings, values, true),
  join: (fragments: Sql[], separator?: string): Sql => {
    if (fragments.length === 0) return new Sql([""], [], true);
    if (fragments.length === 1) return new Sql(fragments[0]!.strings, fragments[0]!.values, true);
    const sep = separator ?? ", ";
    // A bare keyword separator ("AND") gets spaces around it; one with spaces is kept as is.
    const glue = sep.includes(" ") ? sep : ` ${sep} `;
    const strings = ["", ...fragments.slice(1).map(() => glue), ""];
    return new Sql(strings, fragments, true);
  },
  raw: (text: string): Sql => new Sql([text], [], true),
});

/** ClickHouse type of a parameter placeholder: Int, Float, Bool, DateTime, String (or the explicit one). */
export const mapToClickHouseType = (value: Value): string => {
  if (typeof value === "number") return Number.isInteger(value) ? "Int" : "Float";
  if (typeof value === "boolean") return "Bool";
  if (value instanceof Date) return "DateTime";
  if (Array.isArray(value)) return value[0];
  return "String";
};

/** The placeholder of parameter `i`: `{p0:String}`. */
export function createClickhouseParameter(parameterIndex: number, value: Value): string {
  return `{p${parameterIndex}:${mapToClickHouseType(value)}}`;
}

/** The value sent for a parameter (an `["Identifier", name]` pair sends `name`). */
export const getValueFromParameter = (value: any): any => {
  if (Array.isArray(value) && value[0] === "Identifier") return value[1];
  return value;
};

/**
 * The query text with `{pN:Type}` placeholders, and the parameter values. As in moose-lib, a
 * placeholder follows only a non-empty text part (a value right at the start, or right after
 * another value, gets no placeholder).
 */
export const toQuery = (q: Sql): [string, { [pN: string]: any }] => {
  const placeholders = q.values.map((v, i) => createClickhouseParameter(i, v));
  const text = q.strings.map((s, i) => (s !== "" ? s + (placeholders[i] ?? "") : "")).join("");
  const params: { [pN: string]: any } = {};
  q.values.forEach((v, i) => {
    params[`p${i}`] = getValueFromParameter(v) as unknown;
  });
  return [text, params];
};

/** The query text of SQL without parameters; values are refused (views' SELECTs are static). */
export const toStaticQuery = (q: Sql): string => {
  const [text, params] = toQuery(q);
  if (Object.keys(params).length !== 0)
    throw new Error("Dynamic SQL is not allowed in the select statement in view creation.");
  return text;
};

const previewValue = (v: unknown): string => {
  if (Array.isArray(v)) {
    if (v[0] === "Identifier") return `\`${String(v[1])}\``;
    return `[${v.map(previewValue).join(", ")}]`;
  }
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") return `'${v.replace(/'/g, "''")}'`;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return `'${v.toISOString().replace("T", " ").slice(0, 19)}'`;
  try {
    return JSON.stringify(v);
  } catch {
    return typeof v === "bigint" ? v.toString() : Object.prototype.toString.call(v);
  }
};

/** The query with its values inlined, whitespace collapsed: for display only. */
export const toQueryPreview = (q: Sql): string => {
  try {
    let out = q.strings[0] ?? "";
    q.values.forEach((v, i) => {
      out += previewValue(getValueFromParameter(v)) + (q.strings[i + 1] ?? "");
    });
    return out.replace(/\s+/g, " ").trim();
  } catch {
    return "/* query preview unavailable */";
  }
};

/** A SELECT given as text or as `sql`: the text (values refused, as moose-lib does). */
export const selectText = (statement: string | Sql): string =>
  typeof statement === "string" ? statement : toStaticQuery(statement);
