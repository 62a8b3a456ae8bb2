import type { Document } from "yaml";
import type YAMLNamespace from "yaml";
import { emitMapYaml, emitSeqItemYaml } from "./yaml-emit";
import { fastLoadYaml } from "./yaml-fast";
import { z } from "zod";
import { MooseError } from "../errors";
import { DELTA_TYPES, type Delta, type DeltaType } from "./deltas";
import { ENGINE_NAMES, ENGINE_PARAMS, isEngineName, makeEngine } from "./engines";
import { deltaSqlFindings } from "./infra-sql-guard";
import { describeFindings } from "./model-sql-guard";
import type { Column, DataType, EngineName, Table, Topic } from "./infra-map";

/**
 * The `yaml` library, loaded on first use: the fast reader and writer (yaml-fast.ts,
 * yaml-emit.ts) handle ordinary files without it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yamlLib = (): typeof YAMLNamespace => require("yaml") as typeof YAMLNamespace;

/** A committed delta file (Moose's `MigrationFile`). */
export interface MigrationFile {
  id: string;
  description: string;
  parent_state_hash: string;
  /**
   * Ours: the stream hash of the topics the file applies to. Written when the project has
   * topics; absent in Moose's files (which never carry topics) and then not checked.
   */
  parent_stream_hash?: string;
  deltas: Delta[];
  created_at: string;
}

// ---------------------------------------------------------------------------------------------
// Schema. Unknown keys are kept (newer Moose versions add fields) so hashes stay exact.

const dataType: z.ZodType<DataType> = z.lazy(() =>
  z.union([
    z.string(),
    z.looseObject({
      name: z.string(),
      values: z.array(
        z.looseObject({
          name: z.string(),
          value: z.union([z.object({ String: z.string() }), z.object({ Int: z.number() })]),
        }),
      ),
    }),
    z.looseObject({ elementType: dataType, elementNullable: z.boolean() }),
    z.looseObject({ keyType: dataType, valueType: dataType }),
    z.looseObject({ name: z.string(), columns: z.array(column), jwt: z.boolean() }),
    z.looseObject({ fields: z.array(z.tuple([z.string(), dataType])) }),
    z.looseObject({ nullable: dataType }),
    z.looseObject({
      typed_paths: z.array(z.tuple([z.string(), dataType])),
      skip_paths: z.array(z.string()),
      skip_regexps: z.array(z.string()),
    }),
  ]),
);

const column: z.ZodType<Column> = z.lazy(() =>
  z.looseObject({
    name: z.string(),
    data_type: dataType,
    required: z.boolean(),
    unique: z.boolean(),
    primary_key: z.boolean(),
    default: z.string().nullable(),
    annotations: z.array(z.tuple([z.string(), z.unknown()])),
    comment: z.string().optional(),
    ttl: z.string().optional(),
    codec: z.string().optional(),
    materialized: z.string().optional(),
    alias: z.string().optional(),
  }),
);

const engine = z.union([
  z.enum(["MergeTree", "AggregatingMergeTree"]),
  z
    .record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string()), z.null()])))
    .superRefine((o, ctx) => {
      const names = Object.keys(o);
      if (names.length !== 1 || !isEngineName(names[0]!)) {
        ctx.addIssue({
          code: "custom",
          message: `expected one engine of ${ENGINE_NAMES.join(", ")}; found ${names.join(", ") || "none"}`,
        });
        return;
      }
      const params = o[names[0]]!;
      for (const p of ENGINE_PARAMS[names[0]]) {
        const v = params[p.field];
        if (!p.optional && typeof v !== "string")
          ctx.addIssue({ code: "custom", message: `${names[0]}.${p.field} must be a column name` });
      }
    })
    .transform((o) => {
      const name = Object.keys(o)[0] as EngineName;
      return makeEngine(name, o[name]!);
    }),
]);

const table = z.looseObject({
  name: z.string(),
  columns: z.array(column),
  order_by: z.union([z.array(z.string()), z.string()]),
  partition_by: z.string().optional(),
  sample_by: z.string().optional(),
  engine,
  version: z.string().nullable(),
  source_primitive: z.looseObject({ name: z.string(), primitive_type: z.string() }),
  metadata: z
    .looseObject({
      description: z.string().nullable(),
      source: z.object({ file: z.string() }).optional(),
    })
    .nullable(),
  life_cycle: z.enum(["FULLY_MANAGED", "DELETION_PROTECTED", "EXTERNALLY_MANAGED"]),
  engine_params_hash: z.string().optional(),
  table_settings_hash: z.string().optional(),
  table_settings: z.record(z.string(), z.string()).optional(),
  indexes: z.array(
    z.object({
      name: z.string(),
      expression: z.string(),
      type: z.string(),
      arguments: z.array(z.string()),
      granularity: z.number(),
    }),
  ),
  projections: z.array(z.object({ name: z.string(), body: z.string() })),
  constraints: z.array(z.unknown()).default([]),
  database: z.string().optional(),
  table_ttl_setting: z.string().optional(),
  cluster_name: z.string().optional(),
  primary_key_expression: z.string().optional(),
}) as unknown as z.ZodType<Table>;

const policy = z.object({ description: z.string(), approved_at: z.string() });

const metadata = z
  .looseObject({
    description: z.string().nullable().default(null),
    source: z.object({ file: z.string() }).optional(),
  })
  .optional();
const lifeCycle = z.enum(["FULLY_MANAGED", "DELETION_PROTECTED", "EXTERNALLY_MANAGED"]);
const view = z.looseObject({
  name: z.string(),
  database: z.string().optional(),
  selectSql: z.string(),
  sourceTables: z.array(z.string()).default([]),
  metadata,
});
const mv = z.looseObject({
  name: z.string(),
  database: z.string().optional(),
  selectSql: z.string(),
  sourceTables: z.array(z.string()).default([]),
  targetTable: z.string(),
  targetDatabase: z.string().optional(),
  metadata,
  lifeCycle: lifeCycle
    .nullable()
    .default("FULLY_MANAGED")
    .transform((v) => v ?? "FULLY_MANAGED"),
});
const index = z.object({
  name: z.string(),
  expression: z.string(),
  type: z.string(),
  arguments: z.array(z.string()).default([]),
  granularity: z.number().default(1),
});

const topic = z.looseObject({
  name: z.string(),
  version: z.string().nullable().default(null),
  partition_count: z.number().int(),
  // Moose's secs is a u64: whole numbers beyond 2^53 are still whole numbers (Kafka judges them).
  retention_period: z.object({
    secs: z.number().refine(Number.isInteger, "expected whole seconds"),
    nanos: z.number().int().default(0),
  }),
  max_message_bytes: z.number().int(),
  columns: z.array(column),
  source_primitive: z.looseObject({ name: z.string(), primitive_type: z.string() }),
  metadata: z
    .looseObject({
      description: z.string().nullable().default(null),
      source: z.object({ file: z.string() }).optional(),
    })
    .nullable()
    .default(null),
  life_cycle: lifeCycle,
  schema_config: z.unknown().default(null),
}) as unknown as z.ZodType<Topic>;

const delta = z.discriminatedUnion("type", [
  z.object({ type: z.literal("CreateTable"), table }),
  z.object({ type: z.literal("DropTable"), table, policy: policy.optional() }),
  z.object({
    type: z.literal("RecreateTable"),
    before: table,
    after: table,
    policy: policy.optional(),
  }),
  z.object({
    type: z.literal("AddTableColumn"),
    table_id: z.string(),
    column,
    after_column: z.string().nullable(),
  }),
  z.object({ type: z.literal("DropTableColumn"), table_id: z.string(), column_name: z.string() }),
  z.object({
    type: z.literal("ModifyTableColumn"),
    table_id: z.string(),
    before_column: column,
    after_column: column,
  }),
  z.object({
    type: z.literal("RenameTableColumn"),
    table_id: z.string(),
    before_name: z.string(),
    after_name: z.string(),
  }),
  z.object({
    type: z.literal("ModifyTableSettings"),
    table_id: z.string(),
    before: z.record(z.string(), z.coerce.string()),
    after: z.record(z.string(), z.coerce.string()),
  }),
  z.object({
    type: z.literal("ModifyTableTtl"),
    table_id: z.string(),
    before: z.string().nullable().default(null),
    after: z.string().nullable().default(null),
  }),
  z.object({ type: z.literal("AddTableIndex"), table_id: z.string(), index }),
  z.object({ type: z.literal("DropTableIndex"), table_id: z.string(), index_name: z.string() }),
  z.object({
    type: z.literal("AddTableProjection"),
    table_id: z.string(),
    projection: z.object({ name: z.string(), body: z.string() }),
  }),
  z.object({
    type: z.literal("DropTableProjection"),
    table_id: z.string(),
    projection_name: z.string(),
  }),
  z.object({ type: z.literal("ModifySampleBy"), table_id: z.string(), expression: z.string() }),
  z.object({ type: z.literal("RemoveSampleBy"), table_id: z.string() }),
  z.object({ type: z.literal("CreateView"), view }),
  z.object({ type: z.literal("DropView"), view }),
  z.object({ type: z.literal("CreateMaterializedView"), mv }),
  z.object({ type: z.literal("DropMaterializedView"), mv, policy: policy.optional() }),
  z.object({
    type: z.literal("BackfillTable"),
    source_table: z.string(),
    target_table: z.string(),
    columns: z.array(z.string()).default([]),
    sql: z.string(),
  }),
  z.object({
    type: z.literal("RawSql"),
    sql: z.union([z.string().transform((x) => [x]), z.array(z.string())]),
    description: z.string().default(""),
  }),
  z.object({ type: z.literal("CreateTopic"), topic }),
  z.object({ type: z.literal("DeleteTopic"), topic_id: z.string(), policy: policy.optional() }),
  z.object({ type: z.literal("UpdateTopic"), before: topic, after: topic }),
]);

const HASH = /^[0-9a-f]{64}$/;
const file = z.object({
  id: z
    .string()
    .regex(/^(\d{8}_\d{6}_\d{3}_[A-Za-z0-9_-]+|pending)$/, "expected YYYYMMDD_HHMMSS_mmm_<slug>"),
  description: z.string().default(""),
  parent_state_hash: z.string().regex(HASH, "expected 64 lowercase hex characters"),
  parent_stream_hash: z.string().regex(HASH, "expected 64 lowercase hex characters").optional(),
  deltas: z.array(z.unknown()),
  created_at: z.union([z.string(), z.date().transform((d) => d.toISOString())]),
});

const formatIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");

// ---------------------------------------------------------------------------------------------
// Reading. The reference tool writes enum values and engines as YAML tags (`!String active`)
// that it cannot read back; we read both that form and plain maps.

const untagLocalTags = (doc: Document): void => {
  const { isNode, isScalar } = yamlLib();
  yamlLib().visit(doc, {
    Node(_key, node) {
      const tag = isNode(node) ? node.tag : undefined;
      if (!tag || !tag.startsWith("!") || tag.startsWith("!!") || tag.startsWith("tag:"))
        return undefined;
      node.tag = undefined;
      // Unknown tags leave scalars as text: `!Int 1` is the number 1.
      const scalar: unknown = isScalar(node) ? node.value : undefined;
      const inner: unknown = isScalar(node)
        ? tag === "!Int"
          ? Number(scalar)
          : scalar
        : node.toJSON();
      return doc.createNode({ [tag.slice(1)]: inner });
    },
  });
};

const hashIsText = (raw: unknown): boolean => {
  const r = raw as { parent_state_hash?: unknown; parent_stream_hash?: unknown } | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.parent_state_hash !== "number" &&
    typeof r.parent_stream_hash !== "number"
  );
};

/**
 * The file's value: the fast reader (core/yaml-fast.ts) when it can, else the `yaml` library,
 * which reads the reference's tags, keeps a digits-only hash as written, and words errors.
 */
const readYaml = (text: string, invalid: (what: string) => MooseError): unknown => {
  const fast = fastLoadYaml(text);
  if (fast !== undefined && hashIsText(fast)) return fast;
  const YAML = yamlLib();
  const { isScalar } = YAML;
  const doc = YAML.parseDocument(text, { version: "1.2", uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0)
    throw invalid(`YAML syntax error: ${doc.errors[0]!.message.split("\n")[0]}`);
  untagLocalTags(doc);
  // A hash of digits only (e.g. all zeros) is a number to YAML; keep its text as written.
  YAML.visit(doc, {
    Pair(_key, pair) {
      if (
        isScalar(pair.key) &&
        (pair.key.value === "parent_state_hash" || pair.key.value === "parent_stream_hash") &&
        isScalar(pair.value) &&
        typeof pair.value.value === "number"
      ) {
        pair.value.value = pair.value.source ?? String(pair.value.value);
      }
      return undefined;
    },
  });
  return doc.toJS() as unknown;
};

export const parseMigrationFile = (text: string, source: string): MigrationFile =>
  readMigrationFile(text, source).file;

/**
 * The file and the plain value its YAML reads as (what `renderMigrationFile` wrote, when the
 * writer and the reader agree: generate checks that before writing).
 */
export const readMigrationFile = (
  text: string,
  source: string,
): { file: MigrationFile; value: unknown } => {
  const invalid = (
    what: string,
    hint = "If the file was already applied somewhere, restore it from version control (`git checkout -- <file>`): applied files are history. If it is new, fix it by hand, or delete it and run `moose generate migration --save` again.",
  ) =>
    new MooseError(
      "MIGRATION_FILE_INVALID",
      `Migration file ${source} is not a valid delta file: ${what}`,
      { hint },
    );
  const raw = readYaml(text, invalid);
  return { file: migrationFileFrom(raw, source, invalid), value: raw };
};

const migrationFileFrom = (
  raw: unknown,
  source: string,
  invalid: (what: string, hint?: string) => MooseError,
): MigrationFile => {
  const top = file.safeParse(raw);
  if (!top.success)
    throw invalid(
      `expected keys id, description, parent_state_hash, deltas, created_at; found problems at ${formatIssues(top.error.issues)}`,
    );
  const deltas = top.data.deltas.map((d, i) => {
    const type = (d as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !(DELTA_TYPES as readonly string[]).includes(type)) {
      throw new MooseError(
        "MIGRATION_DELTA_UNKNOWN",
        `Migration file ${source}: delta ${i + 1} has unknown type '${String(type)}'`,
        {
          hint: `Known delta types: ${DELTA_TYPES.join(", ")}. The file may come from a newer tool version.`,
        },
      );
    }
    const parsed = delta.safeParse(d);
    if (!parsed.success)
      throw invalid(`delta ${i + 1} (${type}): ${formatIssues(parsed.error.issues)}`);
    return parsed.data;
  });
  // SQL text a hand edit put in the file is refused here, every finding at once, before any
  // statement is rendered.
  const findings = deltas.flatMap((d, i) => deltaSqlFindings(d, `delta ${i + 1} (${d.type})`));
  if (findings.length > 0)
    throw invalid(
      `its SQL text is not exactly one expression / statement where it is used:\n${describeFindings(findings)}`,
      "Each field holds one expression (a view's selectSql one SELECT; each RawSql item one statement): no `;` (not even a trailing one), no comments in expressions. If the file was already applied somewhere, restore it from version control; if it is new, fix it by hand, or delete it and run `moose generate migration --save` again.",
    );
  return { ...top.data, deltas };
};

// ---------------------------------------------------------------------------------------------
// Writing: Moose's field order for structs, sorted keys for free-form maps, no tags.

const ordered = (obj: object, keys: readonly string[]): Record<string, unknown> => {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  for (const k of Object.keys(src).sort()) if (!(k in out) && src[k] !== undefined) out[k] = src[k];
  return out;
};

const COLUMN_KEYS = [
  "name",
  "data_type",
  "required",
  "unique",
  "primary_key",
  "default",
  "annotations",
  "comment",
  "ttl",
  "codec",
  "materialized",
  "alias",
];
const TABLE_KEYS = [
  "name",
  "columns",
  "order_by",
  "partition_by",
  "sample_by",
  "engine",
  "version",
  "source_primitive",
  "metadata",
  "life_cycle",
  "engine_params_hash",
  "table_settings_hash",
  "table_settings",
  "indexes",
  "projections",
  "constraints",
  "database",
  "table_ttl_setting",
  "cluster_name",
  "primary_key_expression",
];

const orderDataType = (dt: DataType): unknown => {
  if (typeof dt === "string") return dt;
  if ("columns" in dt) return { name: dt.name, columns: dt.columns.map(orderColumn), jwt: dt.jwt };
  if ("elementType" in dt)
    return { elementType: orderDataType(dt.elementType), elementNullable: dt.elementNullable };
  if ("keyType" in dt)
    return { keyType: orderDataType(dt.keyType), valueType: orderDataType(dt.valueType) };
  if ("fields" in dt) return { fields: dt.fields.map(([n, t]) => [n, orderDataType(t)]) };
  if ("nullable" in dt) return { nullable: orderDataType(dt.nullable) };
  return dt;
};

const orderColumn = (c: Column): Record<string, unknown> =>
  ordered({ ...c, data_type: orderDataType(c.data_type) }, COLUMN_KEYS);

const sortedRecord = (r: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const orderTable = (t: Table): Record<string, unknown> =>
  ordered(
    {
      ...t,
      columns: t.columns.map(orderColumn),
      table_settings: t.table_settings === undefined ? undefined : sortedRecord(t.table_settings),
    },
    TABLE_KEYS,
  );

const VIEW_KEYS = ["name", "database", "selectSql", "sourceTables", "metadata"];
const MV_KEYS = [
  "name",
  "database",
  "selectSql",
  "sourceTables",
  "targetTable",
  "targetDatabase",
  "metadata",
  "lifeCycle",
];
const INDEX_KEYS = ["name", "expression", "type", "arguments", "granularity"];

/** Field order of each delta kind as Moose writes it. */
const DELTA_KEYS: Record<DeltaType, readonly string[]> = {
  CreateTable: ["type", "table"],
  DropTable: ["type", "table", "policy"],
  RecreateTable: ["type", "before", "after", "policy"],
  AddTableColumn: ["type", "table_id", "column", "after_column"],
  DropTableColumn: ["type", "table_id", "column_name"],
  ModifyTableColumn: ["type", "table_id", "before_column", "after_column"],
  RenameTableColumn: ["type", "table_id", "before_name", "after_name"],
  ModifyTableSettings: ["type", "table_id", "before", "after"],
  ModifyTableTtl: ["type", "table_id", "before", "after"],
  AddTableIndex: ["type", "table_id", "index"],
  DropTableIndex: ["type", "table_id", "index_name"],
  AddTableProjection: ["type", "table_id", "projection"],
  DropTableProjection: ["type", "table_id", "projection_name"],
  ModifySampleBy: ["type", "table_id", "expression"],
  RemoveSampleBy: ["type", "table_id"],
  CreateView: ["type", "view"],
  DropView: ["type", "view"],
  CreateMaterializedView: ["type", "mv"],
  DropMaterializedView: ["type", "mv", "policy"],
  BackfillTable: ["type", "source_table", "target_table", "columns", "sql"],
  RawSql: ["type", "sql", "description"],
  CreateTopic: ["type", "topic"],
  DeleteTopic: ["type", "topic_id", "policy"],
  UpdateTopic: ["type", "before", "after"],
};

const TOPIC_KEYS = [
  "name",
  "version",
  "partition_count",
  "retention_period",
  "max_message_bytes",
  "columns",
  "source_primitive",
  "metadata",
  "life_cycle",
  "schema_config",
];
const orderTopic = (t: Topic): Record<string, unknown> =>
  ordered(
    {
      ...t,
      retention_period: ordered(t.retention_period, ["secs", "nanos"]),
      columns: t.columns.map(orderColumn),
    },
    TOPIC_KEYS,
  );

/** Nested structures written in their own field order. */
const orderField = (key: string, value: unknown, d: Delta): unknown => {
  switch (key) {
    case "topic":
      return orderTopic(value as Topic);
    case "table":
    case "before":
    case "after":
      if (d.type === "UpdateTopic") return orderTopic(value as Topic);
      if (d.type === "ModifyTableSettings") return sortedRecord(value as Record<string, string>);
      return value !== null && typeof value === "object" ? orderTable(value as Table) : value;
    case "column":
    case "before_column":
    case "after_column":
      return value !== null && typeof value === "object" ? orderColumn(value as Column) : value;
    case "index":
      return ordered(value as object, INDEX_KEYS);
    case "projection":
      return ordered(value as object, ["name", "body"]);
    case "view":
      return ordered(value as object, VIEW_KEYS);
    case "mv":
      return ordered(value as object, MV_KEYS);
    case "policy":
      return value === undefined
        ? undefined
        : ordered(value as object, ["description", "approved_at"]);
    default:
      return value;
  }
};

const orderDelta = (d: Delta): Record<string, unknown> => {
  const src = d as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of DELTA_KEYS[d.type]) {
    const v = orderField(key, src[key], d);
    if (v !== undefined) out[key] = v;
  }
  return out;
};

// No anchors/aliases (`&a1` / `*a1`) where a table and its topic share a column list: every
// delta reads on its own, as in Moose's files.
export const YAML_OPTIONS = {
  indentSeq: false,
  lineWidth: 0,
  singleQuote: true,
  version: "1.2",
  aliasDuplicateObjects: false,
} as const;

/**
 * Each delta's YAML: core/yaml-emit.ts writes the common ones as `yaml` would; the others go
 * through the `yaml` library, cached by their JSON. With `indentSeq: false` a one-item sequence renders exactly as
 * the item does under `deltas:`, so a file is its header, the items and `created_at` joined.
 * `moose dev` rewrites pending.yaml on every save with mostly the same deltas: rendering only
 * the new ones keeps a save fast on a large project (the yaml library is the slow part).
 */
const deltaYaml = new Map<string, string>();
const DELTA_YAML_CACHE_MAX = 10_000;

const renderDeltaItem = (ordered: Record<string, unknown>): string => {
  const fast = emitSeqItemYaml(ordered);
  if (fast !== undefined) return fast;
  const key = JSON.stringify(ordered);
  let text = deltaYaml.get(key);
  if (text === undefined) {
    text = yamlLib().stringify([ordered], YAML_OPTIONS);
    if (deltaYaml.size >= DELTA_YAML_CACHE_MAX) deltaYaml.clear();
    deltaYaml.set(key, text);
  }
  return text;
};

export const serializeMigrationFile = (f: MigrationFile): string => renderMigrationFile(f).text;

/**
 * The file's text and the plain value it holds (Moose's field order, no undefined fields):
 * reading the text back must give exactly that value (`sameYamlValue`).
 */
export const renderMigrationFile = (f: MigrationFile): { text: string; value: unknown } => {
  const head = {
    id: f.id,
    description: f.description,
    parent_state_hash: f.parent_state_hash,
    ...(f.parent_stream_hash !== undefined ? { parent_stream_hash: f.parent_stream_hash } : {}),
  };
  const header = emitMapYaml(head) ?? yamlLib().stringify(head, YAML_OPTIONS);
  const ordered = f.deltas.map(orderDelta);
  const deltas =
    ordered.length === 0 ? "deltas: []\n" : `deltas:\n${ordered.map(renderDeltaItem).join("")}`;
  const tail = { created_at: f.created_at };
  return {
    text: header + deltas + (emitMapYaml(tail) ?? yamlLib().stringify(tail, YAML_OPTIONS)),
    value: { ...head, deltas: ordered, created_at: f.created_at },
  };
};

/**
 * Whether two plain values are equal as YAML data: same scalars (NaN equals NaN), same
 * sequences, same maps once keys holding undefined (never written) are left out.
 */
export const sameYamlValue = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameYamlValue(a[i], b[i])) return false;
    return true;
  }
  // Plain loops: this runs over every value of a 1,000-table file on each generate.
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ao) {
    const v = ao[k];
    if (v === undefined) continue;
    defined++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !sameYamlValue(v, bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) defined--;
  return defined === 0;
};

/** The whole file in one `YAML.stringify` (the reference `serializeMigrationFile` must equal). */
export const serializeMigrationFileWhole = (f: MigrationFile): string =>
  yamlLib().stringify(
    {
      id: f.id,
      description: f.description,
      parent_state_hash: f.parent_state_hash,
      ...(f.parent_stream_hash !== undefined ? { parent_stream_hash: f.parent_stream_hash } : {}),
      deltas: f.deltas.map(orderDelta),
      created_at: f.created_at,
    },
    YAML_OPTIONS,
  );

/** `20260415_101500_123` from a date (UTC), Moose's id prefix. */
export const idTimestamp = (d: Date): string => {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}_${p(d.getUTCMilliseconds(), 3)}`;
};

/** The time an id's `YYYYMMDD_HHMMSS_mmm` prefix names, or undefined for an id without one. */
export const idTime = (id: string): Date | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_(\d{3})/.exec(id);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec, ms] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  return Number.isNaN(t) ? undefined : new Date(t);
};

/**
 * The id of the next file: now, or — when the last committed id is not before now (a clock
 * behind the one that wrote it, or two saves in one millisecond) — 1 ms after the last id, so
 * ids stay in order. Computed directly: a committed id far in the future costs nothing.
 */
export const nextMigrationId = (
  lastId: string | undefined,
  now: Date,
  slug: string,
): { id: string; createdAt: Date } => {
  const last = lastId === undefined ? undefined : idTime(lastId);
  const at =
    lastId !== undefined && `${idTimestamp(now)}_${slug}` <= lastId && last !== undefined
      ? new Date(Math.max(now.getTime(), last.getTime() + 1))
      : now;
  return { id: `${idTimestamp(at)}_${slug}`, createdAt: at };
};

/** Description lower-cased, whitespace to `_`, anything unsafe in a file name dropped. */
export const slugOf = (description: string): string =>
  description
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "_")
    .replace(/[^a-z0-9_-]/g, "") || "migration";

/** `moose dev`'s `migrations/pending.yaml`: the net change not yet committed; never applied. */
export const PENDING_ID = "pending";
export const PENDING_DESCRIPTION = "Auto-generated during dev mode";

/** The pending file for a plan of the committed state → the code (Moose's `id: pending` file). */
export const pendingFile = (
  plan: { deltas: readonly Delta[]; parentStateHash: string; parentStreamHash?: string },
  createdAt: string,
): MigrationFile => ({
  id: PENDING_ID,
  description: PENDING_DESCRIPTION,
  parent_state_hash: plan.parentStateHash,
  ...(plan.parentStreamHash !== undefined ? { parent_stream_hash: plan.parentStreamHash } : {}),
  deltas: [...plan.deltas],
  created_at: createdAt,
});
