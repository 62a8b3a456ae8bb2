import {
  ClickHouseServerError,
  connectClickHouse,
  type ClickHousePort,
} from "../adapters/clickhouse";
import { connectKafka, type KafkaPort } from "../adapters/kafka";
import { resolveKafkaTarget, type KafkaTarget } from "../config/kafka";
import { MooseError } from "../errors";
import { loadConfig, type MooseConfig } from "../config/config";
import { parseClickHouseUrl, type ClickHouseTarget } from "../config/url";
import type { DiffOptions } from "../core/diff";
import type { ChainFile } from "../core/chain";
import { foldFiles } from "../core/fold";
import { isTopicDelta } from "../core/deltas";
import type { InfraMap } from "../core/infra-map";
import { loadModels, type LoadedModels, type ModelSource } from "../model/load-project";
import type { ModelWarning } from "../model/warnings";
import { DEV_RECORD, readDevRecord } from "../runtime/dev-record";
import { prepareEngineDir, readMigrations, type StoredMigration } from "../runtime/migration-store";

export interface GlobalOptions {
  /** Project root (the folder with moose.config.toml). */
  root: string;
  clickhouseUrl?: string;
  /** `clickhouseUrl` came from MOOSE_CLICKHOUSE_CONFIG__URL, not from the command line. */
  clickhouseUrlFromEnv?: boolean;
  env: NodeJS.ProcessEnv;
  /** How to open ClickHouse (tests wrap the real adapter to record statements). */
  connect?: (target: ClickHouseTarget) => ClickHousePort;
  /** `--kafka-broker host:port[,…]`: overrides `[redpanda_config] broker`. */
  kafkaBroker?: string;
  /** How to open Kafka (tests wrap the real adapter). */
  connectKafka?: (target: KafkaTarget) => KafkaPort;
}

export interface ProjectContext {
  root: string;
  config: MooseConfig;
  defaultDb: string;
  migrations: StoredMigration[];
  /** Warnings from loading the models (type errors outside them, tsconfig problems). */
  warnings: ModelWarning[];
  /** Whether one-shot loads use the model cache (`MOOSE_MODEL_CACHE=off` turns it off). */
  modelCache?: boolean;
  /** The last chain walk of this command: the hash before each of its files (chain-cache.ts). */
  chainWalk?: { files: readonly ChainFile[]; before: readonly string[] };
}

export const loadProject = (
  opts: GlobalOptions,
  /** `migrations: false`: the files are read later (moose dev reports a corrupt one itself). */
  read: { migrations: boolean } = { migrations: true },
): ProjectContext => {
  const config = loadConfig(opts.root, opts.env);
  return {
    root: opts.root,
    config,
    defaultDb: config.clickhouse_config.db_name,
    migrations: read.migrations ? readMigrations(opts.root) : [],
    warnings: [],
    modelCache: opts.env.MOOSE_MODEL_CACHE?.trim().toLowerCase() !== "off",
  };
};

/** `--clickhouse-url`, else `MOOSE_CLICKHOUSE_CONFIG__URL` (applied to the config), else `[clickhouse_config] url`. */
export const resolveTarget = (
  opts: GlobalOptions,
  ctx: ProjectContext,
): ClickHouseTarget | undefined => {
  const raw = opts.clickhouseUrl ?? ctx.config.clickhouse_config.url;
  if (raw === undefined || raw.trim() === "") return undefined;
  return throughDev(ctx, projectTarget(raw, ctx));
};

/**
 * Parses a target URL for this project. A database named in the URL (path or `?database=`)
 * must be the project's `db_name`: table ids, committed files and the journal all live in that
 * database, so working in another one would mix two projects' data.
 */
export const projectTarget = (raw: string, ctx: ProjectContext): ClickHouseTarget => {
  const target = parseClickHouseUrl(raw, ctx.root, ctx.defaultDb);
  if (target.database !== ctx.defaultDb)
    throw new MooseError(
      "URL_DATABASE_MISMATCH",
      `The ClickHouse URL ${target.display} names database '${target.database}', but this project's database is '${ctx.defaultDb}' ([clickhouse_config] db_name)`,
      {
        hint: `Leave the database out of the URL (the project's db_name is used), or, if '${target.database}' is this project's database, set db_name = "${target.database}" in moose.config.toml (or MOOSE_CLICKHOUSE_CONFIG__DB_NAME=${target.database}).`,
      },
    );
  return target;
};

/**
 * The embedded database a running `moose dev` of this project has open is reached through
 * dev's HTTP endpoint (chDB opens a data directory from one process at a time), with the
 * project's user and password, which dev checks.
 */
const throughDev = (ctx: ProjectContext, target: ClickHouseTarget): ClickHouseTarget => {
  if (target.kind !== "chdb") return target;
  const dev = readDevRecord(ctx.root);
  if (dev?.local.kind !== "chdb" || dev.local.path !== target.path) return target;
  const { user, password } = ctx.config.clickhouse_config;
  return {
    kind: "http",
    url: dev.url,
    username: user,
    password,
    database: target.database,
    display: target.display,
    via: `moose dev at ${dev.url} (per ${DEV_RECORD}; delete it if no moose dev runs)`,
  };
};

/**
 * The target as a flag to repeat in the commands a message suggests: the URL given on the
 * command line or in the environment (masked), or nothing when it comes from moose.config.toml
 * (every command reads it from there anyway).
 */
export const targetFlag = (opts: GlobalOptions, target: ClickHouseTarget | undefined): string =>
  target && opts.clickhouseUrl !== undefined && opts.clickhouseUrl.trim() !== ""
    ? ` --clickhouse-url ${target.display}`
    : "";

/**
 * The code's desired state, checked against the config (databases, clusters). `committed` is
 * the fold of the committed files (its topics stand when the streaming engine is off).
 */
export const desiredState = (
  ctx: ProjectContext,
  committed: InfraMap,
  /** How the models are loaded: once (`loadModels`), or by `moose dev`'s incremental loader. */
  load: (src: ModelSource) => LoadedModels = loadModels,
): InfraMap => {
  const { map, warnings } = load({
    root: ctx.root,
    sourceDir: ctx.config.source_dir,
    defaultDatabase: ctx.defaultDb,
    cache: ctx.modelCache === true,
  });
  ctx.warnings.push(...warnings);
  // With the streaming engine off, streams are not the tool's business: the topics stay as
  // the committed files left them.
  if (!ctx.config.features.streaming_engine) map.topics = structuredClone(committed.topics);
  const databases = managedDatabases(ctx);
  const clusters = ctx.config.clickhouse_config.clusters.map((c) => c.name);
  for (const t of Object.values(map.tables)) {
    if (t.database !== undefined && !databases.includes(t.database))
      throw new MooseError(
        "MODEL_INVALID",
        `Table '${t.name}' uses database '${t.database}', which is not one of the project's databases (${databases.join(", ")})`,
        {
          hint: `Add it to moose.config.toml: [clickhouse_config] additional_databases = [${[...ctx.config.clickhouse_config.additional_databases, t.database].map((d) => JSON.stringify(d)).join(", ")}]`,
        },
      );
    if (t.cluster_name !== undefined && !clusters.includes(t.cluster_name))
      throw new MooseError(
        "MODEL_INVALID",
        clusters.length === 0
          ? `Table '${t.name}' references cluster '${t.cluster_name}', but no clusters are defined in moose.config.toml.`
          : `Table '${t.name}' references cluster '${t.cluster_name}', which is not defined in moose.config.toml. Available clusters: ${clusters.join(", ")}`,
        {
          hint: `To fix this, add the cluster definition to your config:\n[[clickhouse_config.clusters]]\nname = "${t.cluster_name}"`,
        },
      );
  }
  return map;
};

/**
 * The project's comparison rules (`[migration_config] ignore_operations`), from one place for
 * every command that diffs code against a state: `generate` / `plan` write what this diff
 * finds, and `migrate` / `--status` call "unmigrated" exactly what it finds, so an ignored
 * difference is ignored by both.
 */
export const projectDiffOptions = (
  ctx: ProjectContext,
  extra: Omit<DiffOptions, "ignore"> = {},
): DiffOptions => ({ ...extra, ignore: ctx.config.migration_config.ignore_operations });

export const foldAll = (ctx: ProjectContext): InfraMap =>
  foldFiles(
    ctx.migrations.map((m) => m.file),
    ctx.defaultDb,
  );

/** Databases the tool looks at: the default one and the configured additional ones. */
export const managedDatabases = (ctx: ProjectContext): string[] => [
  ctx.defaultDb,
  ...ctx.config.clickhouse_config.additional_databases,
];

/**
 * A login ClickHouse refused (516 AUTHENTICATION_FAILED, 194 REQUIRED_PASSWORD), said as such
 * with the user and the server (never the password), instead of as the first query's failure.
 */
const authFailure = (e: unknown, target: ClickHouseTarget): MooseError | undefined => {
  if (!(e instanceof ClickHouseServerError)) return undefined;
  const refused =
    e.serverType === "AUTHENTICATION_FAILED" ||
    e.serverType === "REQUIRED_PASSWORD" ||
    e.serverCode === "516" ||
    e.serverCode === "194";
  if (!refused || target.kind !== "http") return undefined;
  return new MooseError(
    "CLICKHOUSE_AUTH_FAILED",
    `ClickHouse at ${target.display}${target.via ? ` (${target.via})` : ""} refused the login of user '${target.username}': ${e.reason.split("\n")[0]}`,
    {
      hint: target.via
        ? "moose dev's endpoint checks [clickhouse_config] user and password of moose.config.toml: make them match the running dev (or restart it)."
        : "Check the user and password in the URL (--clickhouse-url or MOOSE_CLICKHOUSE_CONFIG__URL; percent-encode special characters such as @ : / # ? in the password).",
      cause: e,
    },
  );
};

export const withClickHouse = async <T>(
  opts: GlobalOptions,
  target: ClickHouseTarget,
  fn: (ch: ClickHousePort) => Promise<T>,
): Promise<T> => {
  if (target.kind === "chdb") prepareEngineDir(target.path);
  const ch = (opts.connect ?? connectClickHouse)(target);
  try {
    return await fn(ch);
  } catch (e) {
    throw authFailure(e, target) ?? e;
  } finally {
    await ch.close().catch(() => undefined);
  }
};

/**
 * Whether Kafka takes part: the streaming engine is on and the code, a state or a committed
 * file has topics. Projects without streams never open a Kafka connection.
 */
export const usesKafka = (ctx: ProjectContext, ...maps: InfraMap[]): boolean =>
  ctx.config.features.streaming_engine &&
  (maps.some((m) => Object.keys(m.topics).length > 0) ||
    ctx.migrations.some((m) => m.file.deltas.some(isTopicDelta)));

/**
 * Whether a command on `target` talks to Kafka: the project uses it, and the target is not
 * moose dev's database reached through its endpoint (dev runs no broker; there the topics are
 * what the committed files say, and dev records those files as applied).
 */
export const kafkaWanted = (
  ctx: ProjectContext,
  target: ClickHouseTarget,
  ...maps: InfraMap[]
): boolean => usesKafka(ctx, ...maps) && !(target.kind === "http" && target.via !== undefined);

/** Runs `fn` with a Kafka connection when `wanted`, else with none. */
export const withKafka = async <T>(
  opts: GlobalOptions,
  ctx: ProjectContext,
  wanted: boolean,
  fn: (kafka: KafkaPort | undefined) => Promise<T>,
): Promise<T> => {
  if (!wanted) return fn(undefined);
  const target = resolveKafkaTarget(ctx.config, ctx.root, opts.kafkaBroker);
  const kafka = (opts.connectKafka ?? connectKafka)(target);
  try {
    return await fn(kafka);
  } finally {
    await kafka.close().catch(() => undefined);
  }
};
