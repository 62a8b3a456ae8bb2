import { readAppliedState } from "./applied-state";

import { MooseError, ExitCode } from "../errors";
import { deltaTableIdIn, describeDelta } from "../core/deltas";
import { diffMaps } from "../core/diff";

import { olapStateHash, streamStateHash } from "../core/hash";
import { foldFiles } from "../core/fold";
import { cloneMap, emptyInfraMap, type InfraMap } from "../core/infra-map";
import { filterByLifecycle } from "../core/lifecycle";
import { adoptedObjects, describeDrift, type DriftEntry } from "../core/reconcile";
import { readLiveState } from "./live-state";
import { brokerTopicName } from "../core/topics";
import { topicId } from "../core/infra-map";
import { checkReplicationFactor } from "../runtime/apply-topic";
import { quoteIdent } from "../core/sql-quote";
import { applyFile, type ApplyEvent } from "../runtime/apply";

import { MigrationLock } from "../runtime/lock";
import type { StoredMigration } from "../runtime/migration-store";
import {
  desiredState,
  projectDiffOptions,
  foldAll,
  loadProject,
  managedDatabases,
  resolveTarget,
  usesKafka,
  withClickHouse,
  withKafka,
  type GlobalOptions,
  type ProjectContext,
} from "./context";
import type { ModelWarning } from "../model/warnings";

export interface MigrateResult {
  command: "migrate";
  total: number;
  applied: string[];
  alreadyApplied: number;
  warnings: ModelWarning[];
}

export interface ValidateResult {
  command: "validate";
  files: { id: string; deltas: string[] }[];
  tables: number;
  conflicts: { parent: string; files: string[]; tables: string[] }[];
}

export interface StatusResult {
  command: "status";
  applied: string[];
  pending: string[];
  incomplete: string[];
  drift: DriftEntry[];
  unmigrated: string[];
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

/** Changes in the code that no committed file covers ("production blocks unmigrated changes"). */
const unmigratedChanges = (ctx: ProjectContext, committed: InfraMap, code: InfraMap): string[] => {
  const { allowed } = filterByLifecycle(
    diffMaps(committed, code, projectDiffOptions(ctx)),
    committed,
    code,
    (d) => deltaTableIdIn(d, ctx.defaultDb),
  );
  return allowed.map(describeDelta);
};

/**
 * Unmigrated changes once the objects the reality check adopted (declared in code, already in
 * the database, created by no file: DESIGN §4.4) count as covered, since `generate` writes
 * nothing for them.
 */
const unmigratedGivenLive = (
  ctx: ProjectContext,
  committed: InfraMap,
  code: InfraMap,
  applied: InfraMap,
  live: InfraMap,
): string[] => {
  const adopted = adoptedObjects(live, applied, committed);
  const covered = cloneMap(committed);
  Object.assign(covered.tables, adopted.tables);
  Object.assign(covered.views, adopted.views);
  Object.assign(covered.materialized_views, adopted.materialized_views);
  return unmigratedChanges(ctx, covered, code);
};

/** What `migrate` and `--status` start from: the project, its target, the fold and the code. */
const prepare = (opts: GlobalOptions) => {
  const ctx = loadProject(opts);
  const target = requireTarget(opts, ctx);
  const committed = foldAll(ctx);
  const code = desiredState(ctx, committed);
  return { ctx, target, committed, code, offline: unmigratedChanges(ctx, committed, code) };
};

const forensicsText = (drift: DriftEntry[]): string =>
  drift.length === 0
    ? ""
    : `\nDetected drift between migration log and database:\n${drift.map(describeDrift).join("\n")}`;

export const migrate = async (
  opts: GlobalOptions,
  onEvent: (e: ApplyEvent) => void,
): Promise<MigrateResult> => {
  const { ctx, target, committed, code, offline } = prepare(opts);
  return withClickHouse(opts, target, (ch) =>
    withKafka(opts, ctx, usesKafka(ctx, committed, code), async (kafka) => {
      // The live state is read before the lock only when the offline check found something.
      let unmigrated = offline;
      if (offline.length > 0) {
        const { appliedState } = await readAppliedState(ctx, ch, false);
        const { state } = await readLiveState(ctx, ch, appliedState, code, kafka);
        unmigrated = unmigratedGivenLive(ctx, committed, code, appliedState, state);
      }
      if (unmigrated.length > 0) {
        throw new MooseError(
          "UNMIGRATED_CHANGES",
          `The code has changes no committed migration covers:\n${unmigrated.map((u) => `  - ${u}`).join("\n")}`,
          {
            hint: "Run `moose generate migration --save`, review and commit the file, then migrate.",
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
      ).acquire();
      try {
        const live = await readAppliedState(ctx, ch, true);
        const appliedIds = new Set(live.journalState.applied.map((a) => a.id));
        const pending = ctx.migrations.filter((m) => !appliedIds.has(m.file.id));
        const result: MigrateResult = {
          command: "migrate",
          total: ctx.migrations.length,
          applied: [],
          alreadyApplied: appliedIds.size,
          warnings: ctx.warnings,
        };
        if (pending.length === 0) return result;
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
        for (const [n, m] of pending.entries()) {
          const progress = live.journalState.incomplete.get(m.file.id);
          const opsDone = progress?.opsDone ?? new Set<number>();
          if (progress !== undefined && n === 0) {
            // Resuming a half-applied file: the journal, not the half-changed live schema, says where it started.
            state = structuredClone(live.appliedState);
          }
          const actual = olapStateHash(state);
          if (m.file.parent_state_hash !== actual) {
            throw new MooseError(
              "PARENT_HASH_MISMATCH",
              `Migration '${m.file.id}' cannot be applied: database state has diverged from what this migration was generated against.\n` +
                `parent state hash mismatch in migration '${m.file.id}': expected '${m.file.parent_state_hash}', got '${actual}'` +
                forensicsText(n === 0 ? reconciled.drift : []),
              {
                hint: `This could happen if another developer applied migrations to this database, manual DDL was run, or the file is stale. Regenerate it against the current state: delete ${m.file.id}.yaml and run \`moose generate migration --save --clickhouse-url <url>\`.`,
                details: {
                  migration: m.file.id,
                  expected: m.file.parent_state_hash,
                  actual,
                  drift: reconciled.drift,
                },
              },
            );
          }
          if (m.file.parent_stream_hash !== undefined && kafka) {
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
            code,
            opsDone,
            journal: live.journal,
            ch,
            ...(kafka ? { kafka } : {}),
            onEvent,
          });
          result.applied.push(m.file.id);
        }
        return result;
      } finally {
        await lock.release().catch(() => undefined);
      }
    }),
  );
};

/** Offline check of the committed files: the fold succeeds and no two files fork from one parent. */
export const validateMigrations = (opts: GlobalOptions): ValidateResult => {
  const ctx = loadProject(opts);
  const folded = foldAll(ctx);
  // Siblings: files sharing a parent where the later one was not built on its predecessor's
  // result (coming back to an earlier state is linear history, not a fork). Tables and topics
  // are checked apart: two branches that each added only topics share the OLAP parent
  // legitimately but fork on the stream parent.
  const byParent = new Map<string, StoredMigration[]>();
  const byStreamParent = new Map<string, StoredMigration[]>();
  const track = (
    groups: Map<string, StoredMigration[]>,
    parent: string | undefined,
    actual: string,
    m: StoredMigration,
  ) => {
    if (parent === undefined) return;
    groups.set(parent, parent === actual ? [m] : [...(groups.get(parent) ?? []), m]);
  };
  let state = emptyInfraMap(ctx.defaultDb);
  for (const m of ctx.migrations) {
    track(byParent, m.file.parent_state_hash, olapStateHash(state), m);
    track(byStreamParent, m.file.parent_stream_hash, streamStateHash(state), m);
    state = foldFiles([m.file], ctx.defaultDb, state);
  }
  const conflicts = [...byParent, ...byStreamParent]
    .filter(([, ms]) => ms.length > 1)
    .map(([parent, ms]) => ({
      parent,
      files: ms.map((m) => m.file.id),
      tables: [
        ...new Set(ms.flatMap((m) => m.file.deltas.map((d) => deltaTableIdIn(d, ctx.defaultDb)))),
      ].sort(),
    }));
  const result: ValidateResult = {
    command: "validate",
    files: ctx.migrations.map((m) => ({ id: m.file.id, deltas: m.file.deltas.map(describeDelta) })),
    tables: Object.keys(folded.tables).length,
    conflicts,
  };
  if (conflicts.length > 0) {
    throw new MooseError(
      "MIGRATION_CONFLICT",
      `Migration files fork from the same parent state:\n${conflicts.map((c) => `  - ${c.files.join(" and ")} (both on ${c.parent.slice(0, 12)}…, touching ${c.tables.join(", ")})`).join("\n")}`,
      {
        hint: "Two branches each generated a migration. Keep one branch's file, delete the other's and run `moose generate migration --save` again on top.",
        details: result,
      },
    );
  }
  return result;
};

/** Applied / pending / drift, read-only. */
export const migrationStatus = async (opts: GlobalOptions): Promise<StatusResult> => {
  const { ctx, target, committed, code, offline } = prepare(opts);
  return withClickHouse(opts, target, (ch) =>
    withKafka(opts, ctx, usesKafka(ctx, committed, code), async (kafka) => {
      const live = await readAppliedState(ctx, ch, false);
      const { drift, state } = await readLiveState(ctx, ch, live.appliedState, code, kafka);
      const unmigrated =
        offline.length === 0
          ? offline
          : unmigratedGivenLive(ctx, committed, code, live.appliedState, state);
      const appliedIds = new Set(live.journalState.applied.map((a) => a.id));
      return {
        command: "status",
        applied: [...appliedIds],
        pending: ctx.migrations.filter((m) => !appliedIds.has(m.file.id)).map((m) => m.file.id),
        incomplete: [...live.journalState.incomplete.keys()],
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
