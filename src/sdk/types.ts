/**
 * Column type helpers of Moose's TypeScript SDK. They are phantom brands: optional properties
 * whose names start with `__moose_` and whose types carry the parameter. Values stay plain
 * strings, numbers and dates at run time; the model loader reads the brands through the
 * TypeScript type checker to decide each column's ClickHouse type.
 */

/** Part of the primary key (`Key<string>`, `Key<number>`, `Key<Date>`). */
export type Key<T extends string | number | Date> = T & { readonly __moose_key?: true };

export type Int8 = number & { readonly __moose_int?: "Int8" };
export type Int16 = number & { readonly __moose_int?: "Int16" };
export type Int32 = number & { readonly __moose_int?: "Int32" };
export type Int64 = number & { readonly __moose_int?: "Int64" };
export type UInt8 = number & { readonly __moose_int?: "UInt8" };
export type UInt16 = number & { readonly __moose_int?: "UInt16" };
export type UInt32 = number & { readonly __moose_int?: "UInt32" };
export type UInt64 = number & { readonly __moose_int?: "UInt64" };
export type Float32 = number & { readonly __moose_int?: "Float32" };
export type Float64 = number & { readonly __moose_int?: "Float64" };

/** ClickHouse integer names, as moose-lib spells them in `ClickHouseInt<"int32">`. */
interface IntNames {
  int8: "Int8";
  int16: "Int16";
  int32: "Int32";
  int64: "Int64";
  uint8: "UInt8";
  uint16: "UInt16";
  uint32: "UInt32";
  uint64: "UInt64";
}
/** `number & ClickHouseInt<"int16">` is `Int16` (the brand `Int16` itself carries). */
export type ClickHouseInt<V extends keyof IntNames> = { readonly __moose_int?: IntNames[V] };
/** `number & ClickHouseFloat<"float32">` is `Float32`. */
export type ClickHouseFloat<V extends "float32" | "float64"> = {
  readonly __moose_int?: V extends "float32" ? "Float32" : "Float64";
};
/** `string & ClickHouseFixedStringSize<16>` is `FixedString(16)`. */
export type ClickHouseFixedStringSize<N extends number> = { readonly __moose_fixed_string?: N };

/** `DateTime('UTC')`. */
export type DateTime = Date;
/** `DateTime64(P)`. */
export type DateTime64<P extends number> = Date & { readonly __moose_precision?: P };
export type ClickHousePrecision<P extends number> = { readonly __moose_precision?: P };
/** Size of a date column in bytes: 2 gives ClickHouse `Date`, 4 (default) `Date32`. */
export type ClickHouseByteSize<N extends number> = { readonly __moose_byte_size?: N };

export type Decimal<P extends number, S extends number> = string & {
  readonly __moose_decimal?: [P, S];
};
export type ClickHouseDecimal<P extends number, S extends number> = {
  readonly __moose_decimal?: [P, S];
};
export type FixedString<N extends number> = string & ClickHouseFixedStringSize<N>;

/** `LowCardinality(T)`, used as `string & LowCardinality`. */
export type LowCardinality = { readonly __moose_low_cardinality?: true };

/** Column `DEFAULT <expr>`. */
export type ClickHouseDefault<E extends string> = { readonly __moose_default?: E };
export type WithDefault<T, E extends string> = T & ClickHouseDefault<E>;
/** Column `MATERIALIZED <expr>`. */
export type ClickHouseMaterialized<E extends string> = { readonly __moose_materialized?: E };
/** Column `ALIAS <expr>`. */
export type ClickHouseAlias<E extends string> = { readonly __moose_alias?: E };
/** Column `TTL <expr>`. */
export type ClickHouseTTL<E extends string> = { readonly __moose_ttl?: E };
/** Column `CODEC(<codec>)`. */
export type ClickHouseCodec<E extends string> = { readonly __moose_codec?: E };

/** A nested object stored as a named `Tuple(...)` instead of `Nested(...)`. */
export type ClickHouseNamedTuple = { readonly __moose_named_tuple?: true };
/** `JSON(max_dynamic_paths=…, max_dynamic_types=…, SKIP …)`. */
export type ClickHouseJson<
  MaxPaths extends number | undefined = undefined,
  MaxTypes extends number | undefined = undefined,
  SkipPaths extends string[] = [],
  SkipRegexes extends string[] = [],
> = { readonly __moose_json?: [MaxPaths, MaxTypes, SkipPaths, SkipRegexes] };

/** `AggregateFunction(fn, args…)`. */
export type Aggregated<F extends string, Args extends unknown[] = []> = {
  readonly __moose_aggregated?: [F, Args];
};
/** `SimpleAggregateFunction(fn, T)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- moose-lib's default argument type
export type SimpleAggregated<F extends string, T = any> = {
  readonly __moose_simple_aggregated?: [F, T];
};

/** Geometry types; each is a plain array at run time, branded with its ClickHouse name. */
export type ClickHousePoint = [number, number] & { readonly __moose_geo?: "Point" };
export type ClickHouseRing = ClickHousePoint[] & { readonly __moose_geo?: "Ring" };
export type ClickHouseLineString = ClickHousePoint[] & { readonly __moose_geo?: "LineString" };
export type ClickHouseMultiLineString = ClickHouseLineString[] & {
  readonly __moose_geo?: "MultiLineString";
};
export type ClickHousePolygon = ClickHouseRing[] & { readonly __moose_geo?: "Polygon" };
export type ClickHouseMultiPolygon = ClickHousePolygon[] & {
  readonly __moose_geo?: "MultiPolygon";
};

/** typia's string formats, as Moose reads them (`uuid`, `ipv4`, `ipv6`, `date`, `date-time`). */
export type StringFormat<F extends string> = { readonly __moose_format?: F };
/** An ISO date-time kept as a string: `DateTime64(9)` (JS Dates cannot hold sub-millisecond). */
export type DateTimeString = string & StringFormat<"date-time">;
/** An ISO date-time string stored as `DateTime64(P)`. */
export type DateTime64String<P extends number> = string &
  StringFormat<"date-time"> &
  ClickHousePrecision<P>;

/** A JWT claims type (`JWT<{ org: string }>`), the claims object itself. */
export type JWT<T extends object> = T;

type IsComputed<C> = "__moose_alias" extends keyof C
  ? true
  : "__moose_materialized" extends keyof C
    ? true
    : false;
type HasDefault<C> = "__moose_default" extends keyof C ? true : false;
type ComputedKeys<T> = { [K in keyof T]: IsComputed<T[K]> extends true ? K : never }[keyof T];
type DefaultKeys<T> = { [K in keyof T]: HasDefault<T[K]> extends true ? K : never }[keyof T];

/**
 * The shape of a row as inserted: ALIAS and MATERIALIZED columns left out (ClickHouse
 * computes them), DEFAULT columns optional, the others required.
 */
export type Insertable<T> = {
  [K in keyof T as K extends ComputedKeys<T> | DefaultKeys<T> ? never : K]: T[K];
} & {
  [K in keyof T as K extends ComputedKeys<T> ? never : K extends DefaultKeys<T> ? K : never]?: T[K];
};

/**
 * `T` with the brands of date fields dropped (`Date & …` becomes `Date`), recursively through
 * arrays and plain objects; objects holding functions are kept as they are.
 */
export type StripDateIntersection<T> = T extends Date
  ? Date extends T
    ? Date
    : T
  : T extends readonly (infer U)[]
    ? StripDateIntersection<U>[]
    : T extends (...args: never[]) => unknown
      ? T
      : T extends object
        ? { [K in keyof T]: StripDateIntersection<T[K]> }
        : T;
