import path from "node:path";
import { connectClickHouse } from "../adapters/clickhouse";
import type { ClickHouseTarget } from "../config/url";
import { MooseError, errorText } from "../errors";
import { quoteIdent } from "../core/sql-quote";
import {
  DEV_RECORD,
  markDevDatabase,
  readDevRecord,
  removeDevRecord,
  writeDevRecord,
} from "../runtime/dev-record";
import { everything } from "../dev/changes";
import { migrateHistory } from "../dev/journal-sync";
import { startEndpoint } from "../dev/endpoint";
import { DevSession, type DevEvent, type DevSessionOptions } from "../dev/session";
import { watchProject } from "../dev/watch";
import { prepareEngineDir } from "../runtime/migration-store";
import { loadProject, managedDatabases, projectTarget, type ProjectContext } from "./context";
import type { DecisionPort } from "./decisions";

export interface DevOptions extends DevSessionOptions {
  /** `--port`: the endpoint's port (else `[clickhouse_config] host_port`, 18123 by default). */
  port?: number;
  /** Quiet time after a save before a cycle starts (ms). */
  debounceMs?: number;
}

export interface DevHandle {
  /** The endpoint's URL. */
  url: string;
  /** Stops watching, closes the endpoint and the database, removes the record. */
  stop(): Promise<void>;
}

/** The embedded database dev uses unless `--clickhouse-url` names one. */
export const DEV_DATA_DIR = path.join(".moose", "clickhouse");

/** `--clickhouse-url`, else the embedded engine at `.moose/clickhouse`; never the config's target. */
const localTarget = (opts: DevOptions, ctx: ProjectContext): ClickHouseTarget =>
  opts.clickhouseUrl !== undefined && opts.clickhouseUrl.trim() !== ""
    ? projectTarget(opts.clickhouseUrl, ctx)
    : {
        kind: "chdb",
        path: path.resolve(ctx.root, DEV_DATA_DIR),
        database: ctx.defaultDb,
        display: `chdb://${DEV_DATA_DIR.split(path.sep).join("/")}`,
      };

/**
 * Starts `moose dev`: opens the local database, serves it over ClickHouse's HTTP interface,
 * applies the code to it and writes pending.yaml, then watches the project. Everything opened
 * is closed again if a later step fails, so a failed start leaves nothing running.
 */
export const startDev = async (
  opts: DevOptions,
  decisions: DecisionPort,
  emit: (e: DevEvent) => void,
): Promise<DevHandle> => {
  const ctx = loadProject(opts, { migrations: false });
  const running = readDevRecord(ctx.root);
  if (running)
    throw new MooseError(
      "DEV_ALREADY_RUNNING",
      `moose dev is already running for this project (pid ${running.pid}, ${running.url})`,
      {
        hint: `Use that one (other commands reach its database through ${running.url}), or stop it (Ctrl-C in its terminal) and start again. If process ${running.pid} is not a moose dev (a crashed dev's pid reused), delete ${DEV_RECORD} and start again.`,
      },
    );
  const target = localTarget(opts, ctx);
  if (target.kind === "chdb") prepareEngineDir(target.path);

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const ch = connectClickHouse(target);
    cleanups.push(() => ch.close());
    // dev changes its database on every save: a database `moose migrate` deploys to (named
    // with --clickhouse-url) is not one it may take over. The embedded default is dev's own.
    if (opts.clickhouseUrl !== undefined) {
      const history = await migrateHistory(ch, ctx);
      if (history > 0)
        throw new MooseError(
          "DEV_TARGET_IN_USE",
          `Database '${ctx.defaultDb}' at ${target.display} has migrations applied by moose migrate (${history} journal row(s)); moose dev changes its database's schema on every save, so it needs one of its own. Nothing was changed.`,
          {
            hint: "Run `moose dev` without --clickhouse-url (the embedded engine in .moose/clickhouse), or point it at a server or database no `moose migrate` deploys to.",
          },
        );
    }
    for (const db of managedDatabases(ctx))
      await ch.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(db)}`);
    await markDevDatabase(ch, ctx.defaultDb);

    const { user, password, host_port } = ctx.config.clickhouse_config;
    // The session is made below; the endpoint tells it about schema changes from then on.
    const made: { session?: DevSession } = {};
    const endpoint = await startEndpoint({
      engine: ch,
      port: opts.port ?? host_port,
      user,
      password,
      onSchemaChange: () => made.session?.localChanged(),
      onError: (e) =>
        emit({
          kind: "notice",
          message: `The endpoint could not answer a request: ${errorText(e)}`,
        }),
    });
    cleanups.push(() => endpoint.close());
    writeDevRecord(ctx.root, {
      pid: process.pid,
      url: endpoint.url,
      port: endpoint.port,
      local:
        target.kind === "chdb"
          ? { kind: "chdb", path: target.path }
          : { kind: "http", display: target.display },
      database: ctx.defaultDb,
      startedAt: new Date().toISOString(),
    });
    cleanups.push(() => removeDevRecord(ctx.root));

    const dev = new DevSession(ctx, opts, ch, decisions, emit);
    made.session = dev;
    cleanups.push(() => dev.dispose());
    const watcher = await watchProject({
      root: ctx.root,
      sourceDir: ctx.config.source_dir,
      ignore: ctx.config.watcher_config.ignore_patterns,
      debounceMs: opts.debounceMs ?? 40,
      run: async (changes) => {
        await dev.cycle(changes);
        watcher.track(dev.sourceFiles());
      },
    });
    cleanups.push(() => watcher.close());
    dev.superseded = () => watcher.hasQueued();
    await watcher.ready;
    // The first cycle goes through the watcher's queue: a save during it runs right after.
    await watcher.runNow(everything());
    // Ready once the code is in the local database: a script waiting for this sees the tables.
    emit({
      kind: "ready",
      url: endpoint.url,
      local: target.display,
      database: ctx.defaultDb,
      user,
      watching: `${ctx.config.source_dir}/ and migrations/`,
    });
    let stopping: Promise<void> | undefined;
    return {
      url: endpoint.url,
      stop: () =>
        (stopping ??= (async () => {
          await cleanup();
          emit({ kind: "stopped" });
        })()),
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
};
