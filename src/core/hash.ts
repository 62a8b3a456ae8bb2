import { createHash } from "node:crypto";
import { engineHashText } from "./engines";
import type { InfraMap, Engine, Table } from "./infra-map";

/** Compact JSON with object keys sorted at every level; non-ASCII kept as is (Moose's form). */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value));

const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
};

export const sha256Hex = (text: string): string =>
  createHash("sha256").update(text, "utf8").digest("hex");

const OLAP_KEYS = [
  "dmv1_views",
  "materialized_views",
  "olap_dictionaries",
  "select_row_policies",
  "sql_resources",
  "tables",
  "views",
] as const;

/** Moose's `olap_hash`: SHA-256 of the canonical JSON of the OLAP subset of the map. */
export const olapStateHash = (map: InfraMap): string => {
  const subset: Record<string, unknown> = {};
  for (const key of OLAP_KEYS) subset[key] = map[key];
  return sha256Hex(canonicalJson(subset));
};

/** The hash of the empty state (`2cef55d3…`), the parent of a project's first file. */
export const EMPTY_STATE_HASH = olapStateHash({
  default_database: "",
  tables: {},
  views: {},
  materialized_views: {},
  dmv1_views: {},
  sql_resources: {},
  select_row_policies: {},
  olap_dictionaries: {},
  topics: {},
});

/** The stream hash (DESIGN §1.3 `parent_stream_hash`): the same hashing over the topics. */
export const streamStateHash = (map: InfraMap): string => sha256Hex(canonicalJson(map.topics));

/** Moose's `table_settings_hash`: SHA-256 of `k:v;` pairs sorted by key. */
export const tableSettingsHash = (settings: Record<string, string>): string =>
  sha256Hex(
    Object.keys(settings)
      .sort()
      .map((k) => `${k}:${settings[k]}`)
      .join(";") + (Object.keys(settings).length > 0 ? ";" : ""),
  );

/** Moose's `engine_params_hash`: SHA-256 of the engine name followed by its parameter values. */
export const engineParamsHash = (engine: Engine): string => sha256Hex(engineHashText(engine));

/** Recomputes the derived hash fields of a table from its engine and settings. */
export const withDerivedHashes = (table: Table): Table => ({
  ...table,
  engine_params_hash: engineParamsHash(table.engine),
  table_settings_hash: tableSettingsHash(table.table_settings ?? {}),
});
