import type { Engine, EngineName } from "./infra-map";
import { splitTopLevel } from "./data-type";
import { quoteIdent, quoteString, unquoteToken } from "./sql-quote";

/**
 * One table of engine parameters drives rendering, parsing, comparison and hashing, so the
 * twelve MergeTree-family engines cannot drift apart. Parameters are listed in ClickHouse's
 * argument order; Moose's serialized field names are the keys.
 */
type ParamKind =
  /** A string literal (`'/clickhouse/tables/{uuid}'`). */
  | "literal"
  /** A column name, optional when `optional`. */
  | "column"
  /** A list of column names, rendered as one argument. */
  | "columns";

interface ParamSpec {
  field: string;
  kind: ParamKind;
  optional: boolean;
}

const replica: ParamSpec[] = [
  { field: "keeper_path", kind: "literal", optional: true },
  { field: "replica_name", kind: "literal", optional: true },
];
const replacing: ParamSpec[] = [
  { field: "ver", kind: "column", optional: true },
  { field: "is_deleted", kind: "column", optional: true },
];
const summing: ParamSpec[] = [{ field: "columns", kind: "columns", optional: true }];
const collapsing: ParamSpec[] = [{ field: "sign", kind: "column", optional: false }];
const versioned: ParamSpec[] = [
  { field: "sign", kind: "column", optional: false },
  { field: "version", kind: "column", optional: false },
];

export const ENGINE_PARAMS: Readonly<Record<EngineName, readonly ParamSpec[]>> = {
  MergeTree: [],
  AggregatingMergeTree: [],
  ReplacingMergeTree: replacing,
  SummingMergeTree: summing,
  CollapsingMergeTree: collapsing,
  VersionedCollapsingMergeTree: versioned,
  ReplicatedMergeTree: replica,
  ReplicatedAggregatingMergeTree: replica,
  ReplicatedReplacingMergeTree: [...replica, ...replacing],
  ReplicatedSummingMergeTree: [...replica, ...summing],
  ReplicatedCollapsingMergeTree: [...replica, ...collapsing],
  ReplicatedVersionedCollapsingMergeTree: [...replica, ...versioned],
};

export const ENGINE_NAMES = Object.keys(ENGINE_PARAMS) as EngineName[];

export const isEngineName = (name: string): name is EngineName => name in ENGINE_PARAMS;

/** Engines written as a bare string in Moose's JSON. */
const BARE: ReadonlySet<EngineName> = new Set(["MergeTree", "AggregatingMergeTree"]);

export const isReplicated = (name: EngineName): boolean => name.startsWith("Replicated");

type ParamValue = string | string[] | null;

export const engineOf = (
  engine: Engine,
): { name: EngineName; params: Record<string, ParamValue> } =>
  typeof engine === "string"
    ? { name: engine, params: {} }
    : {
        name: Object.keys(engine)[0] as EngineName,
        params: Object.values(engine)[0] as Record<string, ParamValue>,
      };

/** Builds an engine from its name and parameters (missing optional ones become null). */
export const makeEngine = (name: EngineName, params: Record<string, ParamValue>): Engine => {
  if (BARE.has(name)) return name as Engine;
  const out: Record<string, ParamValue> = {};
  for (const p of ENGINE_PARAMS[name]) out[p.field] = params[p.field] ?? null;
  return { [name]: out } as unknown as Engine;
};

const argsOf = (engine: Engine): string[] => {
  const { name, params } = engineOf(engine);
  const args: (string | null)[] = ENGINE_PARAMS[name].map((p) => {
    const v = params[p.field] ?? null;
    if (v === null) return null;
    if (p.kind === "literal") return quoteString(v as string);
    if (p.kind === "column") return quoteIdent(v as string);
    const cols = (v as string[]).map(quoteIdent);
    // Several sum columns must be one tuple: ClickHouse rejects SummingMergeTree(`a`, `b`).
    if (cols.length === 0) return null;
    return cols.length === 1 ? cols[0]! : `(${cols.join(", ")})`;
  });
  // Trailing unset parameters are omitted; a gap in the middle cannot be expressed.
  while (args.length > 0 && args.at(-1) === null) args.pop();
  return args.map((a) => a ?? "''");
};

/** The ENGINE clause (`ReplacingMergeTree(\`ver\`, \`isDeleted\`)`). */
export const renderEngine = (engine: Engine): string => {
  const { name } = engineOf(engine);
  const args = argsOf(engine);
  if (args.length === 0) return isReplicated(name) ? `${name}()` : name;
  return `${name}(${args.join(", ")})`;
};

/** Comparison key: engine kind and parameters, independent of quoting. */
export const engineKey = (engine: Engine): string => {
  const { name, params } = engineOf(engine);
  const parts = ENGINE_PARAMS[name].map((p) => {
    const v = params[p.field] ?? null;
    return v === null ? "" : Array.isArray(v) ? v.join("+") : v;
  });
  return `${name}(${parts.join(",")})`;
};

/**
 * The text Moose hashes for `engine_params_hash`: the engine name, then each parameter value
 * (`null` for an unset one, columns one by one).
 */
export const engineHashText = (engine: Engine): string => {
  const { name, params } = engineOf(engine);
  const parts: string[] = [name];
  for (const p of ENGINE_PARAMS[name]) {
    const v = params[p.field] ?? null;
    if (v === null) parts.push("null");
    else if (Array.isArray(v)) parts.push(...v);
    else parts.push(v);
  }
  return parts.join("");
};

/** Parses ClickHouse's `Name(args)` back into an engine; null for engines outside the family. */
export const parseEngineCall = (engineCall: string): Engine | null => {
  const m = /^(\w+)(?:\(([\s\S]*)\))?$/.exec(engineCall.trim());
  if (!m || !isEngineName(m[1]!)) return null;
  const name = m[1];
  const args = m[2] ? splitTopLevel(m[2]) : [];
  const specs = ENGINE_PARAMS[name];
  let rest = [...args];
  const params: Record<string, ParamValue> = {};
  for (const p of specs) {
    if (p.kind === "literal") {
      // Replica parameters are present only as a pair of string literals.
      const v = rest[0];
      if (v !== undefined && /^'/.test(v.trim())) {
        params[p.field] = unquoteToken(v);
        rest = rest.slice(1);
      } else params[p.field] = null;
    } else if (p.kind === "columns") {
      const v = rest[0];
      params[p.field] =
        v === undefined
          ? null
          : splitTopLevel(v.trim().replace(/^\(([\s\S]*)\)$/, "$1")).map(unquoteToken);
      rest = rest.slice(1);
    } else {
      const v = rest[0];
      if (v === undefined) {
        if (!p.optional) return null;
        params[p.field] = null;
      } else {
        params[p.field] = unquoteToken(v);
        rest = rest.slice(1);
      }
    }
  }
  if (rest.length > 0) return null;
  return makeEngine(name, params);
};
