import type {
  Annotation,
  ArrayType,
  Column,
  DataType,
  EnumType,
  JsonType,
  MapType,
  NamedTupleType,
  NestedType,
  NullableType,
} from "./infra-map";

/** A tagged view of Moose's structural `DataType`, so code can switch over it exhaustively. */
export type DataTypeView =
  | { kind: "scalar"; name: string }
  | { kind: "enum"; type: EnumType }
  | { kind: "array"; type: ArrayType }
  | { kind: "map"; type: MapType }
  | { kind: "nested"; type: NestedType }
  | { kind: "tuple"; type: NamedTupleType }
  | { kind: "json"; type: JsonType }
  | { kind: "nullable"; type: NullableType };

export const viewDataType = (dt: DataType): DataTypeView => {
  if (typeof dt === "string") return { kind: "scalar", name: dt };
  if ("values" in dt) return { kind: "enum", type: dt };
  if ("elementType" in dt) return { kind: "array", type: dt };
  if ("keyType" in dt) return { kind: "map", type: dt };
  if ("columns" in dt) return { kind: "nested", type: dt };
  if ("fields" in dt) return { kind: "tuple", type: dt };
  if ("nullable" in dt) return { kind: "nullable", type: dt };
  return { kind: "json", type: dt };
};

const hasAnnotation = (annotations: Annotation[], key: string): unknown =>
  annotations.find(([k]) => k === key)?.[1];

const quoteEnumName = (s: string): string =>
  "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";

/** Moose's scalar names to ClickHouse types (`DateTime` is UTC, `Date` is the 4-byte Date32). */
const renderScalar = (name: string): string => {
  if (name === "DateTime") return "DateTime('UTC')";
  const dt64 = /^DateTime\((\d+)\)$/.exec(name);
  if (dt64) return `DateTime64(${dt64[1]})`;
  if (name === "Date") return "Date32";
  if (name === "Date16") return "Date";
  if (name === "Json") return "JSON";
  return name;
};

/** The ClickHouse type of a data type, without the column's nullability. */
export const renderDataType = (dt: DataType): string => {
  const v = viewDataType(dt);
  switch (v.kind) {
    case "scalar":
      return renderScalar(v.name);
    case "enum": {
      const members = v.type.values.map((m) =>
        "String" in m.value
          ? quoteEnumName(m.value.String)
          : `${quoteEnumName(m.name)} = ${m.value.Int}`,
      );
      return `Enum(${members.join(",")})`;
    }
    case "array": {
      const inner = renderDataType(v.type.elementType);
      return `Array(${v.type.elementNullable ? `Nullable(${inner})` : inner})`;
    }
    case "map":
      return `Map(${renderDataType(v.type.keyType)}, ${renderDataType(v.type.valueType)})`;
    case "nested":
      return `Nested(${v.type.columns.map((c) => `${c.name} ${renderColumnType(c)}`).join(", ")})`;
    case "tuple":
      return `Tuple(${v.type.fields.map(([n, t]) => `${n} ${renderDataType(t)}`).join(", ")})`;
    case "json":
      return renderJson(v.type);
    case "nullable":
      return `Nullable(${renderDataType(v.type.nullable)})`;
  }
};

/** `JSON(max_dynamic_paths=…, max_dynamic_types=…, path Type, SKIP p, SKIP REGEXP 're')`. */
const renderJson = (j: JsonType): string => {
  const args = [
    ...(j.max_dynamic_paths !== undefined ? [`max_dynamic_paths=${j.max_dynamic_paths}`] : []),
    ...(j.max_dynamic_types !== undefined ? [`max_dynamic_types=${j.max_dynamic_types}`] : []),
    ...j.typed_paths.map(([p, t]) => `${p} ${renderDataType(t)}`),
    ...j.skip_paths.map((p) => `SKIP ${p}`),
    ...j.skip_regexps.map((r) => `SKIP REGEXP ${quoteEnumName(r)}`),
  ];
  return args.length === 0 ? "JSON" : `JSON(${args.join(", ")})`;
};

const canBeNullable = (dt: DataType): boolean => {
  const kind = viewDataType(dt).kind;
  return kind !== "array" && kind !== "nested" && kind !== "map" && kind !== "json";
};

/** The full ClickHouse type of a column: aggregates, LowCardinality and Nullable applied. */
export const renderColumnType = (column: Column): string => {
  const simpleAgg = hasAnnotation(column.annotations, "simpleAggregationFunction") as
    { functionName: string; argumentType: DataType } | undefined;
  if (simpleAgg) {
    return `SimpleAggregateFunction(${simpleAgg.functionName}, ${renderDataType(simpleAgg.argumentType)})`;
  }
  const agg = hasAnnotation(column.annotations, "aggregationFunction") as
    { functionName: string; argumentTypes: DataType[] } | undefined;
  if (agg) {
    const args = agg.argumentTypes.map(renderDataType);
    return `AggregateFunction(${[agg.functionName, ...args].join(", ")})`;
  }
  let type = renderDataType(column.data_type);
  const nullable = !column.required && canBeNullable(column.data_type);
  if (nullable) type = `Nullable(${type})`;
  if (hasAnnotation(column.annotations, "LowCardinality") === true)
    type = `LowCardinality(${type})`;
  return type;
};

/** Whether the column is stored as `Nullable(...)` in ClickHouse. */
export const isStoredNullable = (column: Column): boolean =>
  !column.required && canBeNullable(column.data_type);

// ---------------------------------------------------------------------------------------------
// Parsing ClickHouse's spelling of a type back into Moose's model (used by introspection).

export interface ParsedColumnType {
  data_type: DataType;
  required: boolean;
  annotations: Annotation[];
}

export class UnsupportedClickHouseType extends Error {}

/**
 * Walks SQL text outside quotes (`'…'`, `` `…` ``, `"…"`), tracking parenthesis depth; `visit`
 * sees each such character with the depth after it, and stops the walk by returning true.
 * Returns the index it stopped at, or -1.
 */
export const scanTopLevel = (
  text: string,
  visit: (ch: string, i: number, depth: number) => boolean | void,
  from = 0,
): number => {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === "`" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    if (!quote && visit(ch, i, depth) === true) return i;
  }
  return -1;
};

/** Splits `a, b(c, d), 'e,f'` at top-level commas. */
export const splitTopLevel = (text: string): string[] => {
  const parts: string[] = [];
  let start = 0;
  scanTopLevel(text, (ch, i, depth) => {
    if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  });
  const last = text.slice(start).trim();
  if (last !== "") parts.push(last);
  return parts;
};

const callForm = (text: string): { fn: string; args: string } | null => {
  const m = /^([A-Za-z0-9_]+)\(([\s\S]*)\)$/.exec(text.trim());
  return m ? { fn: m[1]!, args: m[2]! } : null;
};

const unquote = (s: string): string =>
  s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1).replace(/\\(.)/g, "$1") : s;

const SIMPLE_SCALARS = new Set([
  "String",
  "Int8",
  "Int16",
  "Int32",
  "Int64",
  "Int128",
  "Int256",
  "UInt8",
  "UInt16",
  "UInt32",
  "UInt64",
  "UInt128",
  "UInt256",
  "Float32",
  "Float64",
  "UUID",
  "IPv4",
  "IPv6",
  "Point",
  "Ring",
  "LineString",
  "MultiLineString",
  "Polygon",
  "MultiPolygon",
]);

const parseDataType = (text: string): DataType => {
  const t = text.trim();
  if (SIMPLE_SCALARS.has(t)) return t;
  if (t === "Bool" || t === "Boolean") return "Boolean";
  if (t === "Date32") return "Date";
  if (t === "Date") return "Date16";
  if (t === "JSON" || t === "Object('json')")
    return { typed_paths: [], skip_paths: [], skip_regexps: [] };
  if (t.startsWith("JSON(")) return parseJson(t.slice(5, -1));
  if (t === "DateTime" || /^DateTime\('.*'\)$/.test(t)) return "DateTime";
  const call = callForm(t);
  if (!call) throw new UnsupportedClickHouseType(t);
  const args = splitTopLevel(call.args);
  switch (call.fn) {
    case "DateTime64":
      return `DateTime(${args[0]})`;
    case "Decimal":
      return `Decimal(${args[0]}, ${args[1] ?? "0"})`;
    case "Decimal32":
    case "Decimal64":
    case "Decimal128":
    case "Decimal256": {
      const precision = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 }[call.fn];
      return `Decimal(${precision}, ${args[0]})`;
    }
    case "FixedString":
      return `FixedString(${args[0]})`;
    case "Array": {
      const inner = parseColumnType(args[0] ?? "");
      return { elementType: inner.data_type, elementNullable: !inner.required };
    }
    case "Map":
      return { keyType: parseDataType(args[0] ?? ""), valueType: parseDataType(args[1] ?? "") };
    case "Tuple":
      return {
        fields: args.map((a) => {
          const m = /^(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)\s+([\s\S]+)$/.exec(a);
          if (!m) throw new UnsupportedClickHouseType(t);
          return [m[1]!.replace(/`/g, ""), parseDataType(m[2]!)] as [string, DataType];
        }),
      };
    case "Nested":
      return {
        name: "",
        columns: args.map((a) => {
          const m = /^(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)\s+([\s\S]+)$/.exec(a);
          if (!m) throw new UnsupportedClickHouseType(t);
          const parsed = parseColumnType(m[2]!);
          return {
            name: m[1]!.replace(/`/g, ""),
            data_type: parsed.data_type,
            required: parsed.required,
            unique: false,
            primary_key: false,
            default: null,
            annotations: parsed.annotations,
          };
        }),
        jwt: false,
      };
    case "Enum8":
    case "Enum16":
    case "Enum":
      return {
        name: "",
        values: args.map((a) => {
          const m = /^('(?:[^'\\]|\\.)*')\s*(?:=\s*(-?\d+))?$/.exec(a);
          if (!m) throw new UnsupportedClickHouseType(t);
          const label = unquote(m[1]!);
          return { name: label, value: { String: label } };
        }),
      };
    default:
      throw new UnsupportedClickHouseType(t);
  }
};

const parseJson = (inner: string): JsonType => {
  const out: JsonType = { typed_paths: [], skip_paths: [], skip_regexps: [] };
  for (const arg of splitTopLevel(inner)) {
    const setting = /^(max_dynamic_paths|max_dynamic_types)\s*=\s*(\d+)$/.exec(arg);
    if (setting) {
      out[setting[1] as "max_dynamic_paths" | "max_dynamic_types"] = Number(setting[2]);
      continue;
    }
    const regexp = /^SKIP\s+REGEXP\s+('(?:[^'\\]|\\.)*')$/.exec(arg);
    if (regexp) {
      out.skip_regexps.push(unquote(regexp[1]!));
      continue;
    }
    const skip = /^SKIP\s+(.+)$/.exec(arg);
    if (skip) {
      out.skip_paths.push(skip[1]!.replace(/`/g, "").trim());
      continue;
    }
    const typed = /^(`[^`]+`|[A-Za-z_][A-Za-z0-9_.]*)\s+([\s\S]+)$/.exec(arg);
    if (!typed) throw new UnsupportedClickHouseType(`JSON(${inner})`);
    out.typed_paths.push([typed[1]!.replace(/`/g, ""), parseDataType(typed[2]!)]);
  }
  return out;
};

/** Parses a ClickHouse column type (as `system.columns.type` reports it). */
export const parseColumnType = (text: string): ParsedColumnType => {
  const call = callForm(text);
  if (call?.fn === "LowCardinality") {
    const inner = parseColumnType(call.args);
    return { ...inner, annotations: [["LowCardinality", true], ...inner.annotations] };
  }
  if (call?.fn === "Nullable") {
    return { data_type: parseDataType(call.args), required: false, annotations: [] };
  }
  if (call?.fn === "SimpleAggregateFunction") {
    const [fn, arg] = splitTopLevel(call.args);
    const argType = parseDataType(arg ?? "");
    return {
      data_type: argType,
      required: true,
      annotations: [["simpleAggregationFunction", { functionName: fn, argumentType: argType }]],
    };
  }
  if (call?.fn === "AggregateFunction") {
    const [fn, ...args] = splitTopLevel(call.args);
    const argumentTypes = args.map(parseDataType);
    return {
      // The TS base type of an aggregate column is not recorded in ClickHouse.
      data_type: argumentTypes[0] ?? "Float64",
      required: true,
      annotations: [["aggregationFunction", { functionName: fn, argumentTypes }]],
    };
  }
  return { data_type: parseDataType(text), required: true, annotations: [] };
};
