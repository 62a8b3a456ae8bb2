import { createHash, type Hash } from "node:crypto";
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

/** Pieces between two kept hash states: fewer copies, at most this many pieces hashed again. */
const CHECKPOINT_EVERY = 16;

/**
 * `olapStateHash` for a map folded one file at a time (the chain check over a long history):
 * the canonical JSON of each table, view and other OLAP object is kept while the object is the
 * same one and not changed in place, and the SHA-256 state is kept at every object, so each file
 * costs the objects it touched plus hashing from the first changed object on, instead of
 * serializing and hashing the whole state again. `changedInPlace`: keys (`tables\0<id>`) of
 * objects a step mutated without replacing them. Gives exactly `olapStateHash(map)` (held by
 * the tests).
 */
export const createStateHasher = (): ((
  map: InfraMap,
  changedInPlace: ReadonlySet<string>,
) => string) => {
  /** Each object's `"id":json` text, while it is the same object. */
  const kept = new Map<string, { obj: unknown; entry: string }>();
  /** The canonical JSON of the last call, cut into pieces (structure, objects). */
  let lastPieces: string[] = [];
  /** `states[k]`: the hash after the first k × CHECKPOINT_EVERY pieces of the last call. */
  let states: Hash[] = [createHash("sha256")];
  return (map, changedInPlace) => {
    const seen = new Set<string>();
    const pieces: string[] = ["{"];
    let firstSection = true;
    for (const key of [...OLAP_KEYS].sort()) {
      const collection = map[key] as unknown;
      if (collection === undefined) continue;
      if (!firstSection) pieces.push(",");
      firstSection = false;
      if (collection === null || typeof collection !== "object" || Array.isArray(collection)) {
        pieces.push(`${JSON.stringify(key)}:${canonicalJson(collection)}`);
        continue;
      }
      pieces.push(`${JSON.stringify(key)}:{`);
      // Insert in sorted order, then read back in the engine's order (integer-like keys
      // first), exactly as JSON.stringify of sortKeys' object would.
      const sorted: Record<string, string> = {};
      const entries = collection as Record<string, unknown>;
      for (const id of Object.keys(entries).sort()) {
        const obj = entries[id];
        if (obj === undefined) continue;
        const cacheKey = `${key}\0${id}`;
        seen.add(cacheKey);
        const hit = kept.get(cacheKey);
        if (hit !== undefined && hit.obj === obj && !changedInPlace.has(cacheKey))
          sorted[id] = hit.entry;
        else {
          const entry = `${JSON.stringify(id)}:${canonicalJson(obj)}`;
          kept.set(cacheKey, { obj, entry });
          sorted[id] = entry;
        }
      }
      let first = true;
      for (const id of Object.keys(sorted)) {
        if (!first) pieces.push(",");
        first = false;
        pieces.push(sorted[id]!);
      }
      pieces.push("}");
    }
    pieces.push("}");
    for (const cacheKey of kept.keys()) if (!seen.has(cacheKey)) kept.delete(cacheKey);
    // Resume hashing at the last kept state before the first piece that differs.
    let same = 0;
    const common = Math.min(pieces.length, lastPieces.length);
    while (same < common && pieces[same] === lastPieces[same]) same++;
    const kept0 = Math.min(Math.floor(same / CHECKPOINT_EVERY), states.length - 1);
    const next = states.slice(0, kept0 + 1);
    let h = next[kept0]!.copy();
    for (let j = kept0 * CHECKPOINT_EVERY; j < pieces.length; j++) {
      h.update(pieces[j]!, "utf8");
      if ((j + 1) % CHECKPOINT_EVERY === 0) {
        next.push(h);
        h = h.copy();
      }
    }
    states = next;
    lastPieces = pieces;
    return h.digest("hex");
  };
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
