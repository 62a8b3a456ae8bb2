import { readAppliedState, type AppliedState, type HistoryOptions } from "./applied-state";
import { checkChainRemembering } from "./chain-cache";
import type { ClickHousePort } from "../adapters/clickhouse";
import type { KafkaPort } from "../adapters/kafka";
import { checkChain, conflictError, recordsReach } from "../core/chain";
import { changedInPlaceBy, foldFileInPlace } from "../core/fold";

import { MooseError, ExitCode, isMooseError } from "../errors";
import { describeDelta, isTopicDelta, type Delta } from "../core/deltas";
import { engineOf, isReplicated } from "../core/engines";
import { planMigration } from "../core/plan";

import { createStateHasher, streamStateHash } from "../core/hash";
import { cloneMap, tableNamer, type InfraMap } from "../core/infra-map";
import { adoptedObjects, describeDrift, type DriftEntry } from "../core/reconcile";
import { readLiveState } from "./live-state";
import { brokerTopicName } from "../core/topics";
import { topicId } from "../core/infra-map";
import { checkReplicationFactor } from "../runtime/apply-topic";
import { quoteIdent } from "../core/sql-quote";
import { applyFile, type ApplyEvent } from "../runtime/apply";
import { checkAcceptedIds } from "../runtime/data-safety";

import { MigrationLock } from "../runtime/lock";
import { throwIfInterrupted } from "../runtime/interrupt";
import { checksumMatches, journalChecksum, type StoredMigration } from "../runtime/migration-store";
import {
  desiredState,
  projectDiffOptions,
  loadProject,
  managedDatabases,
  resolveTarget,
  targetFlag,
  kafkaWanted,
  withClickHouse,
  withKafka,
  type GlobalOptions,
  type ProjectContext,
} from "./context";
import type { ModelWarning } from "../model/warnings";
import { batchLimits } from "../runtime/journal-batch";
import { checkResolutions, recordResolutions, type Resolution } from "./resolve-steps";

export interface MigrateResult {
  command: "migrate";
  total: number;
  applied: string[];
  alreadyApplied: number;
  /** Applied files whose changed content this run recorded (`--accept-changed`). */
  accepted: string[];
  /** `--accept-changed` ids whose content had not changed: nothing recorded. */
  unchangedAccepts: string[];
  warnings: ModelWarning[];
}

/** What only `moose migrate` itself takes. */
export interface MigrateOptions {
  /** `--wait-lock[=SECONDS]`: wait this long for another run's lock instead of failing. */
  waitLockMs?: number;
  /** `--accept-changed <id>`: applied files whose changed content is recorded as intended. */
  acceptChanged?: readonly string[];
  /** `--accept-data-loss <id>`: pending files applied although their type changes lose values. */
  acceptDataLoss?: readonly string[];
  /** `--resolve <id>:<step> done|rerun`: what became of a step whose outcome is unknown. */
  resolve?: readonly Resolution[];
  /** `--mutation-timeout <seconds>`: how long one delta's mutations are followed (no limit when absent). */
  mutationTimeoutMs?: number;
}

export interface ValidateResult {
  command: "validate";
  files: { id: string; deltas: string[] }[];
  tables: number;
  views: number;
  materializedViews: number;
  topics: number;
  conflicts: { parent: string; files: string[]; tables: string[] }[];
  /** With a target: its journal was held against the files (all applied files unchanged). */
  history?: { target: string; applied: number };
  /** Why the journal was not checked although the environment names a target. */
  historyNotChecked?: string;
}

export interface StatusResult {
  command: "status";
  applied: string[];
  pending: string[];
  incomplete: string[];
  drift: DriftEntry[];
  unmigrated: string[];
  /** A `migrate` is running now (its lock is held by a live holder): who. */
  lockHeldBy?: string;
  warnings: ModelWarning[];
}

const requireTarget = (opts: GlobalOptions, ctx: ProjectContext) => {
  const target = resolveTarget(opts, ctx);
  if (!target) {
    throw new MooseError(
      "TARGET_MISSING",
      "--clickhouse-url required (or set MOOSE_CLICKHOUSE_CONFIG__URL environment variable)",
      {
        hint: "`moose migrate` never falls back to an embedded database: name the target explicitly (e.g. --clickhouse-url chdb://.moose/clickhouse).",
        exitCode: ExitCode.Usage,
      },
    );
  }
  return target;
};

/**
 * Changes in the code that no committed file covers ("production blocks unmigrated changes"):
 * exactly what `generate` would still write from `base`, found by the same planner with no
 * decision asked (a pending rename counts as the drop + add it would otherwise be).
 */
const unmigratedChanges = (
  ctx: ProjectContext,
  committed: InfraMap,
  base: InfraMap,
  code: InfraMap,
  sqlKey?: (sql: string) => string,
): string[] =>
  planMigration({
    committed,
    base,
    code,
    diff: projectDiffOptions(ctx, sqlKey ? { sqlKey } : {}),
    answers: {},
    autoBackfill: true,
    approvedAt: "",
  })
    .changes.filter((d) => !keptOldVersion(d, code))
    .map((d) => describeDelta(d, tableNamer(base, code)));

/**
 * The drop of a table's older version that the user chose to keep at a version bump: `generate`
 * offers it again, but it is a decision, not a change the code makes, so it blocks no deploy.
 */
const keptOldVersion = (d: Delta, code: InfraMap): boolean =>
  d.type === "DropTable" &&
  Object.values(code.tables).some(
    (t) =>
      t.source_primitive.name === d.table.source_primitive.name &&
      (t.database ?? code.default_database) === (d.table.database ?? code.default_database) &&
      t.version !== d.table.version,
  );

/**
 * The base `generate` would diff against, given the live state: the live database when every
 * committed file is applied; otherwise the committed files, with the objects the reality check
 * adopted (declared in code, already in the database, created by no file: DESIGN §4.4) counted
 * as covered, since applying the pending files finds them present. On moose dev's database,
 * the committed files alone.
 */
const coverageBase = (
  ctx: ProjectContext,
  committed: InfraMap,
  applied: InfraMap,
  live: InfraMap,
  allApplied: boolean,
  /** moose dev's database holds the uncommitted change itself: only the files cover it. */
  devManaged: boolean,
): InfraMap => {
  if (devManaged) return committed;
  if (allApplied) return live;
  const adopted = adoptedObjects(live, applied, committed);
  const covered = cloneMap(committed);
  Object.assign(covered.tables, adopted.tables);
  Object.assign(covered.views, adopted.views);
  Object.assign(covered.materialized_views, adopted.materialized_views);
  return covered;
};

/** Unmigrated changes once the live database is known (see `coverageBase`). */
const unmigratedGivenLive = async (
  ctx: ProjectContext,
  ch: ClickHousePort,
  kafka: KafkaPort | undefined,
  committed: InfraMap,
  code: InfraMap,
  history: HistoryOptions,
): Promise<{ unmigrated: string[]; drift: DriftEntry[]; applied: AppliedState }> => {
  const applied = await readAppliedState(ctx, ch, false, history);
  const { state, drift, sqlKey } = await readLiveState(ctx, ch, applied.appliedState, code, kafka);
  const appliedIds = new Set(applied.journalState.applied.map((a) => a.id));
  const base = coverageBase(
    ctx,
    committed,
    applied.appliedState,
    state,
    ctx.migrations.every((m) => appliedIds.has(m.file.id)),
    applied.devManaged,
  );
  return { unmigrated: unmigratedChanges(ctx, committed, base, code, sqlKey), drift, applied };
};

/**
 * Files with topic deltas need Kafka: with the streaming engine off they are refused before any
 * file starts, not half-way through one.
 */
const refuseTopicsWithoutKafka = (
  pending: readonly StoredMigration[],
  hasKafka: boolean,
  env: NodeJS.ProcessEnv,
): void => {
  if (hasKafka) return;
  const withTopics = pending.filter((m) => m.file.deltas.some(isTopicDelta));
  if (withTopics.length === 0) return;
  const byEnv = env.MOOSE_FEATURES__STREAMING_ENGINE !== undefined;
  throw new MooseError(
    "KAFKA_CONFIG_INVALID",
    `Migration${withTopics.length === 1 ? "" : "s"} ${withTopics.map((m) => `'${m.file.id}'`).join(", ")} change${withTopics.length === 1 ? "s" : ""} topics, but the streaming engine is off${byEnv ? ` (MOOSE_FEATURES__STREAMING_ENGINE=${env.MOOSE_FEATURES__STREAMING_ENGINE})` : " ([features] streaming_engine = false)"}; nothing was applied`,
    {
      hint: byEnv
        ? "Unset MOOSE_FEATURES__STREAMING_ENGINE (or set it to true) and point --kafka-broker at the broker, then run `moose migrate` again."
        : "Set [features] streaming_engine = true in moose.config.toml and point [redpanda_config] broker (or --kafka-broker) at the broker, then run `moose migrate` again.",
    },
  );
};

/**
 * The embedded engine has no Keeper and no `{shard}`/`{replica}` macros: a file creating a
 * Replicated table or one ON CLUSTER would fail there part-way, so it is refused before
 * anything runs. (`moose dev` runs such tables as their plain engines; the files keep them.)
 */
const refuseReplicatedOnEmbedded = (
  pending: readonly StoredMigration[],
  defaultDb: string,
): void => {
  const found = pending.flatMap((m) =>
    m.file.deltas.flatMap((d) => {
      const t = d.type === "CreateTable" ? d.table : d.type === "RecreateTable" ? d.after : null;
      if (!t) return [];
      const replicated = isReplicated(engineOf(t.engine).name);
      if (!replicated && t.cluster_name === undefined) return [];
      const why = replicated ? engineOf(t.engine).name : `ON CLUSTER ${t.cluster_name ?? ""}`;
      return [`'${t.database ?? defaultDb}.${t.name}' (${why}) in ${m.file.id}`];
    }),
  );
  if (found.length === 0) return;
  throw new MooseError(
    "ENGINE_UNSUPPORTED_LOCALLY",
    `The embedded engine (chdb://) cannot create replicated or clustered tables: ${found.slice(0, 5).join(", ")}${found.length > 5 ? ` and ${found.length - 5} more` : ""}. Nothing was applied.`,
    {
      hint: "Migrate a ClickHouse server with Keeper and the {shard}/{replica} macros (or ClickHouse Cloud) instead; for local work, `moose dev` runs these tables on their plain engines.",
    },
  );
};

/** What `migrate` and `--status` start from: the project, its target, the fold and the code. */
const prepare = (opts: GlobalOptions) => {
  const ctx = loadProject(opts);
  const target = requireTarget(opts, ctx);
  // Forked files are refused before anything is applied (what `--validate` reports).
  const { state: committed, conflicts } = checkChainRemembering(
    ctx,
    ctx.migrations.map((m) => m.file),
  );
  if (conflicts.length > 0) throw conflictError(conflicts, { conflicts }, tableNamer(committed));
  const code = desiredState(ctx, committed);
  return {
    ctx,
    target,
    committed,
    code,
    offline: unmigratedChanges(ctx, committed, committed, code),
  };
};

const forensicsText = (drift: DriftEntry[]): string =>
  drift.length === 0
    ? ""
    : `\nDetected drift between migration log and database:\n${drift.map(describeDrift).join("\n")}`;

export const migrate = async (
  opts: GlobalOptions,
  onEvent: (e: ApplyEvent) => void,
  options: MigrateOptions = {},
): Promise<MigrateResult> => {
  const { ctx, target, committed, code, offline } = prepare(opts);
  const accept = new Set(options.acceptChanged ?? []);
  const history: HistoryOptions = { accept, targetFlag: targetFlag(opts, target) };
  checkAcceptedIds(
    options.acceptDataLoss ?? [],
    ctx.migrations.map((m) => m.file.id),
    "committed",
  );
  checkResolutions(options.resolve ?? [], ctx.migrations);
  return withClickHouse(opts, target, (ch) =>
    withKafka(opts, ctx, kafkaWanted(ctx, target, committed, code), async (kafka) => {
      // The live state is read before the lock only when the offline check found something.
      const unmigrated =
        offline.length > 0
          ? (await unmigratedGivenLive(ctx, ch, kafka, committed, code, history)).unmigrated
          : offline;
      if (unmigrated.length > 0) {
        throw new MooseError(
          "UNMIGRATED_CHANGES",
          `The code has changes no committed migration covers:\n${unmigrated.map((u) => `  - ${u}`).join("\n")}`,
          {
            hint: `Run \`moose generate migration --save${targetFlag(opts, target)}\`, review and commit the file, then migrate.`,
            details: { unmigrated },
          },
        );
      }
      for (const db of managedDatabases(ctx))
        await ch.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(db)}`);
      const lock = await new MigrationLock(
        ch,
        ctx.defaultDb,
        ctx.config.clickhouse_config.migrations_table,
      ).acquire({
        waitMs: options.waitLockMs ?? 0,
        onWait: (holder, waitMs) => onEvent({ kind: "lock-wait", holder, waitMs }),
      });
      if (lock.tookOverFrom !== undefined)
        onEvent({ kind: "lock-takeover", from: lock.tookOverFrom });
      try {
        const live = await readAppliedState(ctx, ch, true, history);
        if (accept.size > 0) {
          // Accepting an edit says the database already is what the edited file describes:
          // checked, or the next --status would report drift nobody can clear.
          const check = await readLiveState(ctx, ch, live.appliedState, code, kafka);
          if (check.drift.length > 0)
            throw new MooseError(
              "APPLIED_FILE_CHANGED",
              `The edited content of ${[...accept].map((id) => `migrations/${id}.yaml`).join(", ")} does not match database '${ctx.defaultDb}'; nothing was recorded:\n${check.drift.map(describeDrift).join("\n")}`,
              {
                hint: `--accept-changed is for edits the database already reflects. Restore the file from version control (e.g. \`git checkout <commit> -- migrations/<id>.yaml\`) and put the change in a new file with \`moose generate migration --save${history.targetFlag}\`.`,
                details: { drift: check.drift },
              },
            );
        }
        const { accepted, unchanged } = await recordAccepted(ctx, live, accept);
        await recordResolutions(options.resolve ?? [], live, ctx.migrations);
        const appliedIds = new Set(live.journalState.applied.map((a) => a.id));
        const pending = ctx.migrations.filter((m) => !appliedIds.has(m.file.id));
        if (live.devManaged && pending.length > 0)
          throw new MooseError(
            "DEV_TARGET_IN_USE",
            `Database '${ctx.defaultDb}' at ${target.display} is moose dev's local database: it follows the code of the project dev runs in, so files from here (${pending.map((m) => `'${m.file.id}'`).join(", ")}) are not applied to it. Nothing was applied.`,
            {
              hint: `Point --clickhouse-url at the database you deploy to. To have these files in dev's database, commit them in the project \`moose dev\` runs in: it applies them on its next cycle.`,
            },
          );
        if (target.kind === "chdb") refuseReplicatedOnEmbedded(pending, ctx.defaultDb);
        const result: MigrateResult = {
          command: "migrate",
          total: ctx.migrations.length,
          applied: [],
          alreadyApplied: appliedIds.size,
          accepted,
          unchangedAccepts: unchanged,
          warnings: ctx.warnings,
        };
        checkAcceptedIds(
          options.acceptDataLoss ?? [],
          pending.map((m) => m.file.id),
        );
        if (pending.length === 0) return result;
        refuseTopicsWithoutKafka(pending, kafka !== undefined, opts.env);
        onEvent({ kind: "plan", total: ctx.migrations.length, unapplied: pending.length });
        const reconciled = await readLiveState(ctx, ch, live.appliedState, code, kafka);
        let state = reconciled.state;
        // A topic the cluster cannot hold is refused before any file starts.
        if (kafka) {
          const creates = pending.flatMap((m) =>
            m.file.deltas.flatMap((d) => (d.type === "CreateTopic" ? [topicId(d.topic)] : [])),
          );
          if (creates.length > 0)
            await checkReplicationFactor(
              kafka,
              brokerTopicName(creates[0]!, kafka.target.namespace),
              kafka.target.replicationFactor,
            );
        }
        // Where the files alone have brought this database (the journal's fold, then each file
        // applied in this run): a file's parent is this state, or the live one.
        // Folded in place and hashed incrementally: many pending files (a first deploy of a
        // long history) cost their own changes, not the whole state per file.
        const filesState = cloneMap(live.appliedState);
        const filesHash = createStateHasher();
        let filesChanged = new Set<string>();
        const liveHash = createStateHasher();
        let liveChanged = new Set<string>();
        for (const [n, m] of pending.entries()) {
          const progress = live.journalState.incomplete.get(m.file.id);
          const opsDone = progress?.opsDone ?? new Set<number>();
          if (progress !== undefined && n === 0) {
            // Resuming a half-applied file: the journal, not the half-changed live schema, says where it started.
            state = structuredClone(live.appliedState);
          }
          const actual = liveHash(state, liveChanged);
          liveChanged = new Set();
          const filesActual = filesHash(filesState, filesChanged);
          filesChanged = new Set();
          // A file answering hand-made changes starts from the files' state; on the database it
          // was generated against, its leading records are what the live state adds to that.
          const fromFiles =
            m.file.parent_state_hash === filesActual &&
            (m.file.parent_stream_hash === undefined ||
              m.file.parent_stream_hash === streamStateHash(filesState));
          const recordedDrift =
            fromFiles &&
            (m.file.parent_state_hash !== actual ||
              (m.file.parent_stream_hash !== undefined &&
                m.file.parent_stream_hash !== streamStateHash(state))) &&
            recordsReach(filesState, state, m.file, ctx.defaultDb, reconciled.sqlKey);
          if (m.file.parent_state_hash !== actual && !recordedDrift) {
            throw new MooseError(
              "PARENT_HASH_MISMATCH",
              `Migration '${m.file.id}' cannot be applied: database state has diverged from what this migration was generated against.\n` +
                `parent state hash mismatch in migration '${m.file.id}': expected '${m.file.parent_state_hash}', got '${actual}'` +
                forensicsText(n === 0 ? reconciled.drift : []),
              {
                hint: `This could happen if another developer applied migrations to this database, manual DDL was run, or the file is stale. Regenerate it against the current state: delete migrations/${m.file.id}.yaml and run \`moose generate migration --save${targetFlag(opts, target) || " --clickhouse-url <url>"}\`.`,
                details: {
                  migration: m.file.id,
                  expected: m.file.parent_state_hash,
                  actual,
                  drift: reconciled.drift,
                },
              },
            );
          }
          if (m.file.parent_stream_hash !== undefined && kafka && !recordedDrift) {
            const actualStream = streamStateHash(state);
            if (m.file.parent_stream_hash !== actualStream)
              throw new MooseError(
                "PARENT_HASH_MISMATCH",
                `Migration '${m.file.id}' cannot be applied: the topics on the broker differ from what this migration was generated against.\n` +
                  `parent stream hash mismatch in migration '${m.file.id}': expected '${m.file.parent_stream_hash}', got '${actualStream}'` +
                  forensicsText(
                    n === 0 ? reconciled.drift.filter((d) => d.tableId.startsWith("topic ")) : [],
                  ),
                {
                  hint: `Someone changed topics by hand or the file is stale. Regenerate it against the live broker: delete ${m.file.id}.yaml and run \`moose generate migration --save --clickhouse-url <url>\`.`,
                  details: {
                    migration: m.file.id,
                    expected: m.file.parent_stream_hash,
                    actual: actualStream,
                    drift: reconciled.drift,
                  },
                },
              );
          }
          await applyFile({
            migration: m,
            state,
            // applyFile changes `state` in place, table by table, as foldFileInPlace would.
            stateHash: (s) => liveHash(s, changedInPlaceBy(m.file)),
            code,
            opsDone,
            journal: live.journal,
            ch,
            ...(kafka ? { kafka } : {}),
            onEvent,
            nameOf: tableNamer(state, code),
            targetFlag: targetFlag(opts, target),
            // A Ctrl-C / SIGTERM stops the run here, between deltas, with everything journaled.
            fence: async () => {
              throwIfInterrupted(m.file.id, "its next delta");
              await lock.assertHeld();
            },
            acceptDataLoss: options.acceptDataLoss?.includes(m.file.id) === true,
            ...(progress ? { inFlight: progress.inFlight, resumeAt: progress.resumeAt } : {}),
            batch: batchLimits(opts.env),
            ...(options.mutationTimeoutMs !== undefined
              ? { mutationTimeoutMs: options.mutationTimeoutMs }
              : {}),
            ...(progress?.mutations ? { mutationsStarted: progress.mutations } : {}),
          });
          result.applied.push(m.file.id);
          foldFileInPlace(filesState, m.file, ctx.defaultDb, filesChanged);
        }
        return result;
      } finally {
        await lock.release().catch(() => undefined);
      }
    }),
  );
};

/**
 * `--accept-changed`: journals the current checksum of each named applied file (who and the
 * old checksum in the detail), so the changed content is history from now on. Runs under the
 * lock. An id that is not an applied file is a usage error; one whose content is unchanged
 * records nothing.
 */
const recordAccepted = async (
  ctx: ProjectContext,
  live: AppliedState,
  accept: ReadonlySet<string>,
): Promise<{ accepted: string[]; unchanged: string[] }> => {
  const out: string[] = [];
  const unchanged: string[] = [];
  for (const id of accept) {
    const progress = live.journalState.applied.find((a) => a.id === id);
    const m = ctx.migrations.find((f) => f.file.id === id);
    if (!progress || !m)
      throw new MooseError(
        "USAGE",
        `--accept-changed ${id}: '${id}' is not an applied migration with a file in migrations/`,
        {
          hint: "Name an applied file whose content changed (the error that listed it gives the id). A half-applied or missing file cannot be accepted: restore it, or delete it and regenerate.",
          exitCode: ExitCode.Usage,
        },
      );
    if (checksumMatches(m, progress.checksum)) {
      unchanged.push(id);
      continue;
    }
    const now = journalChecksum(m);
    await live.journal.append({
      migration_id: id,
      event: "accepted",
      op_index: -1,
      parent_state_hash: m.file.parent_state_hash,
      state_hash: progress.stateHash,
      file_checksum: now,
      detail: `changed content accepted with --accept-changed (was ${progress.checksum})`,
    });
    progress.checksum = now;
    out.push(id);
  }
  return { accepted: out, unchanged };
};

/**
 * Offline check of the committed files: the fold succeeds and no two files fork from one
 * parent. With a target named explicitly (`--clickhouse-url` or MOOSE_CLICKHOUSE_CONFIG__URL),
 * also holds the target's journal against the files (applied files unchanged and present).
 */
export const validateMigrations = async (opts: GlobalOptions): Promise<ValidateResult> => {
  const ctx = loadProject(opts);
  const { state, conflicts } = checkChain(
    ctx.migrations.map((m) => m.file),
    ctx.defaultDb,
  );
  const result: ValidateResult = {
    command: "validate",
    files: ctx.migrations.map((m) => ({
      id: m.file.id,
      deltas: m.file.deltas.map((d) => describeDelta(d, tableNamer(state))),
    })),
    tables: Object.keys(state.tables).length,
    views: Object.keys(state.views).length,
    materializedViews: Object.keys(state.materialized_views).length,
    topics: Object.keys(state.topics).length,
    conflicts,
  };
  if (conflicts.length > 0) throw conflictError(conflicts, result, tableNamer(state));
  const given = opts.clickhouseUrl !== undefined && opts.clickhouseUrl.trim() !== "";
  const byEnv =
    (given && opts.clickhouseUrlFromEnv === true) ||
    (opts.env.MOOSE_CLICKHOUSE_CONFIG__URL ?? "").trim() !== "";
  const byFlag = given && opts.clickhouseUrlFromEnv !== true;
  const target = byFlag || byEnv ? resolveTarget(opts, ctx) : undefined;
  if (!target) return result;
  const check = withClickHouse(opts, target, async (ch) => {
    const applied = await readAppliedState(ctx, ch, false, {
      targetFlag: targetFlag(opts, target),
    });
    return {
      ...result,
      history: { target: target.display, applied: applied.journalState.applied.length },
    };
  });
  // A URL only in the environment (a CI job's global setting) must not turn the offline lint
  // into one that needs the server: unreachable, the history is reported as not checked.
  if (byFlag) return check;
  return check.catch((e: unknown) => {
    if (isMooseError(e) && e.code === "CLICKHOUSE_UNREACHABLE")
      return { ...result, historyNotChecked: `${target.display} is unreachable` };
    throw e;
  });
};

/** Applied / pending / drift, read-only. */
export const migrationStatus = async (opts: GlobalOptions): Promise<StatusResult> => {
  const { ctx, target, committed, code, offline } = prepare(opts);
  return withClickHouse(opts, target, (ch) =>
    withKafka(opts, ctx, kafkaWanted(ctx, target, committed, code), async (kafka) => {
      const checked = await unmigratedGivenLive(ctx, ch, kafka, committed, code, {
        targetFlag: targetFlag(opts, target),
      });
      const live = checked.applied;
      // moose dev's database runs ahead of the files by the pending change (shown as
      // unmigrated): that difference is dev's doing, not drift.
      const drift = live.devManaged ? [] : checked.drift;
      const unmigrated = offline.length === 0 ? offline : checked.unmigrated;
      const appliedIds = new Set(live.journalState.applied.map((a) => a.id));
      const lockHeldBy = await new MigrationLock(
        ch,
        ctx.defaultDb,
        ctx.config.clickhouse_config.migrations_table,
      ).holder();
      return {
        command: "status",
        ...(lockHeldBy === undefined ? {} : { lockHeldBy }),
        applied: [...appliedIds],
        pending: ctx.migrations.filter((m) => !appliedIds.has(m.file.id)).map((m) => m.file.id),
        // A half-applied file that was deleted (one way out of a failure) is no longer pending.
        incomplete: [...live.journalState.incomplete.keys()].filter((id) =>
          ctx.migrations.some((m) => m.file.id === id),
        ),
        drift,
        unmigrated,
        warnings: ctx.warnings,
      };
    }),
  );
};

export const breakLock = async (
  opts: GlobalOptions,
): Promise<{ command: "break-lock"; broken: boolean; holder?: string }> => {
  const ctx = loadProject(opts);
  const target = requireTarget(opts, ctx);
  return withClickHouse(opts, target, async (ch) => ({
    command: "break-lock",
    ...(await new MigrationLock(
      ch,
      ctx.defaultDb,
      ctx.config.clickhouse_config.migrations_table,
    ).break()),
  }));
};
