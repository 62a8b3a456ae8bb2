import ts from "typescript";
import type { Annotation, Column, DataType, JsonType } from "../core/infra-map";

/** A type the loader cannot map; carries the declaration's location for the error message. */
export class UnsupportedTypeError extends Error {
  constructor(
    message: string,
    readonly node: ts.Node | undefined,
  ) {
    super(message);
  }
}

const MARKER_PREFIX = "__moose_";

/** Literal value of a phantom marker property (`__moose_default?: "'us'"` -> `'us'`). */
const markerValue = (checker: ts.TypeChecker, type: ts.Type, name: string): ts.Type | undefined => {
  const prop = type.getProperty(MARKER_PREFIX + name);
  if (!prop) return undefined;
  const t = checker.getTypeOfSymbol(prop);
  return t.isUnion() ? t.types.find((x) => !(x.flags & ts.TypeFlags.Undefined)) : t;
};

const literalOf = (t: ts.Type | undefined): string | number | undefined =>
  t && t.isLiteral() && (typeof t.value === "string" || typeof t.value === "number")
    ? t.value
    : undefined;

const tupleElements = (checker: ts.TypeChecker, t: ts.Type | undefined): readonly ts.Type[] =>
  t && checker.isTupleType(t) ? checker.getTypeArguments(t as ts.TypeReference) : [];

const isMarkerObject = (t: ts.Type): boolean => {
  const props = t.getProperties();
  return (
    !!(t.flags & ts.TypeFlags.Object) &&
    props.length > 0 &&
    props.every((p) => p.name.startsWith(MARKER_PREFIX))
  );
};

const isNullish = (t: ts.Type) =>
  !!(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void));

/** Whether a type admits `undefined`/`null` (the mapper itself skips nullish union members). */
const admitsNullish = (t: ts.Type): boolean => t.isUnion() && t.types.some(isNullish);

/** The union members that are not `undefined`/`null`. */
const nonNullMembers = (t: ts.Type): readonly ts.Type[] =>
  t.isUnion() ? t.types.filter((x) => !isNullish(x)) : [t];

interface Ctx {
  checker: ts.TypeChecker;
  /** Where the current property is declared (for error locations). */
  at: ts.Node | undefined;
  depth: number;
}

const enumOf = (members: readonly ts.Type[]): DataType | undefined => {
  if (!members.every((m) => m.flags & ts.TypeFlags.EnumLiteral && m.isLiteral())) return undefined;
  const decl = members[0]!.symbol?.valueDeclaration;
  const enumName = decl && ts.isEnumMember(decl) ? decl.parent.name.text : "Enum";
  const values = members.map((m) => {
    const v = (m as ts.LiteralType).value;
    return {
      name: m.symbol.name,
      value: typeof v === "string" ? { String: v } : { Int: Number(v) },
    };
  });
  return { name: enumName, values };
};

interface Mapped {
  data_type: DataType;
  annotations: Annotation[];
  /** Properties read from brands on the type. */
  props: Partial<Pick<Column, "default" | "materialized" | "alias" | "ttl" | "codec">> & {
    key?: boolean;
  };
}

const TYPIA_NUMBER_TYPES: Record<string, string> = {
  int32: "Int32",
  uint32: "UInt32",
  int64: "Int64",
  uint64: "UInt64",
  float: "Float32",
  double: "Float64",
};

/** Moose's column type for a typia string format. */
const stringFormat = (
  format: string,
  precision: string | number | undefined,
  byteSize: ts.Type | undefined,
): string | undefined => {
  switch (format) {
    case "uuid":
      return "UUID";
    case "ipv4":
      return "IPv4";
    case "ipv6":
      return "IPv6";
    case "date":
      return literalOf(byteSize) === 2 ? "Date16" : "Date";
    case "date-time":
      return `DateTime(${precision ?? 9})`;
    default:
      return undefined;
  }
};

/** `T & ClickHouseJson<…>`: typed paths from T's properties, then the options. */
const jsonType = (checker: ts.TypeChecker, base: ts.Type, options: ts.Type, ctx: Ctx): DataType => {
  const [maxPaths, maxTypes, skipPaths, skipRegexes] = tupleElements(checker, options);
  const strings = (t: ts.Type | undefined) =>
    tupleElements(checker, t)
      .map(literalOf)
      .filter((x): x is string => typeof x === "string");
  const index = checker.getIndexInfoOfType(base, ts.IndexKind.String);
  const typed =
    index && base.getProperties().length === 0
      ? []
      : columnsOfType(checker, base, ctx.depth + 1).map(
          (c) =>
            [c.name, c.required ? c.data_type : { nullable: c.data_type }] as [string, DataType],
        );
  const mp = literalOf(maxPaths);
  const mt = literalOf(maxTypes);
  const out: JsonType = {
    typed_paths: typed,
    skip_paths: strings(skipPaths),
    skip_regexps: strings(skipRegexes),
  };
  if (typeof mp === "number") out.max_dynamic_paths = mp;
  if (typeof mt === "number") out.max_dynamic_types = mt;
  const hasOptions =
    typed.length > 0 ||
    out.skip_paths.length > 0 ||
    out.skip_regexps.length > 0 ||
    out.max_dynamic_paths !== undefined ||
    out.max_dynamic_types !== undefined;
  // Moose writes a JSON column without any option as the scalar `Json`.
  return hasOptions ? out : "Json";
};

const mapType = (declared: ts.Type, ctx: Ctx): Mapped => {
  const { checker } = ctx;
  const members = nonNullMembers(declared);
  // A union that is not an enum/boolean/string-literal set is judged below as a whole.
  const t0 = members.length === 1 ? members[0]! : declared;
  if (ctx.depth > 20)
    throw new UnsupportedTypeError("type nests too deeply (recursive type?)", ctx.at);
  const parts = t0.isIntersection() ? t0.types : [t0];
  const markers = parts.filter(isMarkerObject);
  const bases = parts.filter((p) => !isMarkerObject(p));
  const marker = (name: string) => markerValue(checker, t0, name);
  const annotations: Annotation[] = [];
  const props: Mapped["props"] = {};
  const str = (name: string) => {
    const v = literalOf(marker(name));
    return typeof v === "string" ? v : undefined;
  };
  if (marker("key")) props.key = true;
  if (str("default") !== undefined) props.default = str("default")!;
  if (str("materialized") !== undefined) props.materialized = str("materialized")!;
  if (str("alias") !== undefined) props.alias = str("alias")!;
  if (str("ttl") !== undefined) props.ttl = str("ttl")!;
  if (str("codec") !== undefined) props.codec = str("codec")!;
  const defaults = [props.default, props.materialized, props.alias].filter((x) => x !== undefined);
  if (defaults.length > 1) {
    throw new UnsupportedTypeError(
      "can only have one of ClickHouseDefault, ClickHouseMaterialized, or ClickHouseAlias",
      ctx.at,
    );
  }
  if (marker("low_cardinality")) annotations.push(["LowCardinality", true]);
  const geo = str("geo");

  const simpleAgg = tupleElements(checker, marker("simple_aggregated"));
  if (simpleAgg.length === 2) {
    const argType = mapType(simpleAgg[1]!, { ...ctx, depth: ctx.depth + 1 }).data_type;
    annotations.push([
      "simpleAggregationFunction",
      { functionName: literalOf(simpleAgg[0]), argumentType: argType },
    ]);
  }
  const agg = tupleElements(checker, marker("aggregated"));
  if (agg.length === 2) {
    const args = tupleElements(checker, agg[1]).map(
      (a) => mapType(a, { ...ctx, depth: ctx.depth + 1 }).data_type,
    );
    annotations.push([
      "aggregationFunction",
      { functionName: literalOf(agg[0]), argumentTypes: args },
    ]);
  }

  if (bases.length === 0 && markers.length > 0)
    throw new UnsupportedTypeError(
      "a type brand needs a base type (e.g. `string & LowCardinality`)",
      ctx.at,
    );
  const base = bases.length === 1 ? bases[0]! : t0;
  const done = (data_type: DataType): Mapped => ({ data_type, annotations, props });
  if (geo !== undefined) return done(geo);
  const json = marker("json");
  if (json) return done(jsonType(checker, base, json, ctx));
  const alternatives = nonNullMembers(base);

  const en = enumOf(alternatives);
  if (en) return done(en);
  if (alternatives.every((x) => x.flags & ts.TypeFlags.BooleanLike)) return done("Boolean");
  if (alternatives.length > 1 && alternatives.every((x) => x.isStringLiteral())) {
    // A union of string literals is stored as LowCardinality(String), as Moose does.
    if (!annotations.some(([k]) => k === "LowCardinality"))
      annotations.push(["LowCardinality", true]);
    return done("String");
  }
  if (alternatives.length > 1)
    throw new UnsupportedTypeError(
      `union type '${checker.typeToString(base)}' is not supported`,
      ctx.at,
    );
  if (base.flags & ts.TypeFlags.StringLike) {
    if (base.isStringLiteral()) {
      // A union of string literals is stored as LowCardinality(String), as Moose does.
      if (!annotations.some(([k]) => k === "LowCardinality"))
        annotations.push(["LowCardinality", true]);
      return done("String");
    }
    const decimal = tupleElements(checker, marker("decimal")).map(literalOf);
    if (decimal.length === 2) return done(`Decimal(${decimal[0]}, ${decimal[1]})`);
    const format = str("format");
    if (format !== undefined) {
      const byFormat = stringFormat(format, literalOf(marker("precision")), marker("byte_size"));
      if (byFormat === undefined)
        throw new UnsupportedTypeError(`string format '${format}' has no ClickHouse type`, ctx.at);
      if (format === "date-time") annotations.push(["stringDate", true]);
      return done(byFormat);
    }
    const fixed = literalOf(marker("fixed_string"));
    if (fixed !== undefined) return done(`FixedString(${fixed})`);
    return done("String");
  }
  if (base.flags & ts.TypeFlags.NumberLike) {
    if (base.isUnion())
      throw new UnsupportedTypeError(
        "unions of number literals are not supported; use a TypeScript enum",
        ctx.at,
      );
    const int = literalOf(marker("int"));
    if (typeof int === "string") return done(int);
    const typiaType = str("typia_type");
    if (typiaType !== undefined) {
      const mapped = TYPIA_NUMBER_TYPES[typiaType];
      if (!mapped)
        throw new UnsupportedTypeError(`tags.Type<"${typiaType}"> has no ClickHouse type`, ctx.at);
      return done(mapped);
    }
    const decimal = tupleElements(checker, marker("decimal")).map(literalOf);
    if (decimal.length === 2) return done(`Decimal(${decimal[0]}, ${decimal[1]})`);
    return done("Float64");
  }
  if (base.flags & ts.TypeFlags.BigIntLike)
    throw new UnsupportedTypeError("bigint is not supported; use Int64/UInt64 (number)", ctx.at);
  if (base.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))
    throw new UnsupportedTypeError(
      "`any`/`unknown` columns are not supported; use Record<string, any> for JSON",
      ctx.at,
    );
  if (base.symbol?.name === "Date") {
    const precision = literalOf(marker("precision"));
    const byteSize = literalOf(marker("byte_size"));
    if (byteSize === 2) return done("Date16");
    return done(precision === undefined ? "DateTime" : `DateTime(${precision})`);
  }
  if (checker.isArrayType(base)) {
    const element = checker.getTypeArguments(base as ts.TypeReference)[0]!;
    const inner = mapType(element, { ...ctx, depth: ctx.depth + 1 });
    return done({ elementType: inner.data_type, elementNullable: admitsNullish(element) });
  }
  if (checker.isTupleType(base))
    throw new UnsupportedTypeError(
      `tuple type '${checker.typeToString(base)}' is not supported`,
      ctx.at,
    );
  if (base.flags & ts.TypeFlags.Object) {
    const index = checker.getIndexInfoOfType(base, ts.IndexKind.String);
    if (index && base.getProperties().length === 0) {
      if (index.type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))
        return done({ typed_paths: [], skip_paths: [], skip_regexps: [] });
      const value = mapType(index.type, {
        ...ctx,
        depth: ctx.depth + 1,
      });
      return done({ keyType: "String", valueType: value.data_type });
    }
    if (base.getCallSignatures().length > 0)
      throw new UnsupportedTypeError("function types are not columns", ctx.at);
    const columns = columnsOfType(checker, base, ctx.depth + 1);
    if (marker("named_tuple"))
      return done({
        fields: columns.map(
          (c) =>
            [c.name, c.required ? c.data_type : { nullable: c.data_type }] as [string, DataType],
        ),
      });
    return done({ name: nestedName(base, ctx.at), columns, jwt: false });
  }
  throw new UnsupportedTypeError(`type '${checker.typeToString(base)}' is not supported`, ctx.at);
};

/**
 * The name Moose records for a nested type: its interface or alias name, or — for an inline
 * object type (`items: { id: string }[]`) — the name of the field that holds it.
 */
const nestedName = (type: ts.Type, at: ts.Node | undefined): string => {
  const declared = type.aliasSymbol?.name ?? type.symbol?.name;
  if (declared !== undefined && declared !== "__type" && declared !== "__object") return declared;
  const field =
    at &&
    (ts.isPropertySignature(at) || ts.isPropertyDeclaration(at) || ts.isPropertyAssignment(at))
      ? at.name
      : undefined;
  return field && (ts.isIdentifier(field) || ts.isStringLiteral(field)) ? field.text : "Nested";
};

/** Columns of an interface/type in property order (= ClickHouse column order). */
export const columnsOfType = (checker: ts.TypeChecker, type: ts.Type, depth = 0): Column[] =>
  checker
    .getPropertiesOfType(type)
    .filter((prop) => !prop.name.startsWith(MARKER_PREFIX))
    .map((prop) => {
      const at = prop.valueDeclaration ?? prop.declarations?.[0];
      const declared = checker.getTypeOfSymbol(prop);
      const nullable = admitsNullish(declared);
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      let mapped: Mapped;
      try {
        mapped = mapType(declared, { checker, at, depth });
      } catch (e) {
        if (e instanceof UnsupportedTypeError)
          throw new UnsupportedTypeError(`column '${prop.name}': ${e.message}`, e.node ?? at);
        throw e;
      }
      const column: Column = {
        name: prop.name,
        data_type: mapped.data_type,
        required: !(nullable || optional),
        unique: false,
        primary_key: mapped.props.key === true,
        default: mapped.props.default ?? null,
        annotations: mapped.annotations,
      };
      const comment = ts.displayPartsToString(prop.getDocumentationComment(checker)).trim();
      if (comment !== "") column.comment = comment;
      if (mapped.props.ttl !== undefined) column.ttl = mapped.props.ttl;
      if (mapped.props.codec !== undefined) column.codec = mapped.props.codec;
      if (mapped.props.materialized !== undefined) column.materialized = mapped.props.materialized;
      if (mapped.props.alias !== undefined) column.alias = mapped.props.alias;
      return column;
    });
