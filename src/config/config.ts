import fs from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { MooseError, errorText, onDisk } from "../errors";
import { IGNORABLE_OPERATIONS } from "../core/diff";

const num = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v),
  z.number(),
);
const bool = z.preprocess(
  (v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v),
  z.boolean(),
);
const text = z.preprocess(
  (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
  z.string(),
);

/** `at line L, column C` of a TOML parse error, when the parser says where. */
const tomlWhere = (e: unknown): string => {
  const { line, column } = (e ?? {}) as { line?: unknown; column?: unknown };
  return typeof line === "number"
    ? ` at line ${line}${typeof column === "number" ? `, column ${column}` : ""}`
    : "";
};

/** `moose.config.toml`: Moose's keys, defaults as Moose's; unknown keys are kept, never errors. */
export const configSchema = z.looseObject({
  source_dir: text.default("app"),
  clickhouse_config: z
    .looseObject({
      db_name: text.default("local"),
      user: text.default("panda"),
      password: text.default("pandapass"),
      host: text.default("localhost"),
      host_port: num.default(18123),
      native_port: num.default(9000),
      use_ssl: bool.default(false),
      additional_databases: z.array(z.string()).default([]),
      /** Ours: the default migration target (`http(s)://…`, `clickhouse://…` or `chdb://…`). */
      url: text.optional(),
      /** Ours: the journal table's name. */
      migrations_table: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a plain identifier")
        .default("_moose_migrations"),
      clusters: z.array(z.looseObject({ name: z.string() })).default([]),
    })
    .prefault({}),
  redpanda_config: z
    .looseObject({
      broker: text.default("localhost:19092"),
      namespace: text.optional(),
      replication_factor: num.default(1),
      retention_ms: num.optional(),
      message_timeout_ms: num.default(1000),
      sasl_username: text.optional(),
      sasl_password: text.optional(),
      sasl_mechanism: text.optional(),
      security_protocol: text.optional(),
      /** Ours: a PEM file of CA certificates to trust (implies TLS). */
      ssl_ca_location: text.optional(),
      /** Ours: how long the first connection to the broker may take (ms) before KAFKA_UNREACHABLE. */
      connect_timeout_ms: num.optional(),
    })
    .prefault({}),
  migration_config: z
    .looseObject({ ignore_operations: z.array(z.enum(IGNORABLE_OPERATIONS)).default([]) })
    .prefault({}),
  watcher_config: z
    .looseObject({
      /** Globs `moose dev` does not watch (relative to the project root, or file names). */
      ignore_patterns: z.array(z.string()).default([]),
    })
    .prefault({}),
  features: z
    .looseObject({
      migrate_with_deltas: bool.default(true),
      olap: bool.default(true),
      streaming_engine: bool.default(true),
    })
    .prefault({}),
});

export type MooseConfig = z.infer<typeof configSchema>;

export const CONFIG_FILE = "moose.config.toml";

/**
 * Applies `MOOSE_<SECTION>__<KEY>` environment variables (e.g. `MOOSE_CLICKHOUSE_CONFIG__DB_NAME`)
 * on top of the file's values. `MOOSE_SOURCE_DIR` sets a top-level key.
 */
export const applyEnvOverrides = (
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> => {
  const out: Record<string, unknown> = structuredClone(raw);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("MOOSE_") || value === undefined) continue;
    const parts = name.slice("MOOSE_".length).toLowerCase().split("__");
    if (parts.length === 1 && parts[0] === "source_dir") out.source_dir = value;
    if (parts.length !== 2) continue;
    const [section, key] = parts as [string, string];
    if (!section.endsWith("_config") && section !== "features") continue;
    const current = out[section];
    const obj: Record<string, unknown> =
      current !== null && typeof current === "object" ? (current as Record<string, unknown>) : {};
    obj[key] = value;
    out[section] = obj;
  }
  return out;
};

/** Loads and validates the project's config; every problem is listed at once, each naming its key. */
export const loadConfig = (root: string, env: NodeJS.ProcessEnv = process.env): MooseConfig => {
  const file = path.join(root, CONFIG_FILE);
  if (!fs.existsSync(file)) {
    throw new MooseError("CONFIG_NOT_FOUND", `No ${CONFIG_FILE} in ${root}`, {
      hint: "Run the command from a Moose project's root (the folder holding moose.config.toml).",
    });
  }
  // An unreadable file (a directory, no permission) is a file-system problem, not bad TOML.
  const text = onDisk("read", file, () => fs.readFileSync(file, "utf8"));
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text);
  } catch (e) {
    throw new MooseError(
      "CONFIG_INVALID",
      `${CONFIG_FILE} is not valid TOML${tomlWhere(e)}: ${errorText(e).split("\n")[0]}`,
      {
        hint: `Fix the TOML syntax${tomlWhere(e) ? " there" : ""} (a section header is [name], a value is key = "text" or key = 123).`,
      },
    );
  }
  const parsed = configSchema.safeParse(applyEnvOverrides(raw, env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`);
    throw new MooseError(
      "CONFIG_INVALID",
      `${CONFIG_FILE} has ${problems.length} problem(s):\n${problems.join("\n")}`,
      {
        hint: "Fix each key listed (environment variables MOOSE_<SECTION>__<KEY> override the file).",
      },
    );
  }
  return parsed.data;
};
