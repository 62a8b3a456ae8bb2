import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import {
  deltaTableIdIn,
  destructiveSummary,
  isTopicDelta,
  withPolicy,
  type Delta,
} from "../core/deltas";
import type { KafkaPort } from "../adapters/kafka";
import { checkTopicDeltas } from "../core/topics";
import { diffMaps } from "../core/diff";
import { orderDeltas } from "../core/order";
import { olapStateHash, streamStateHash } from "../core/hash";
import type { InfraMap } from "../core/infra-map";
import { filterByLifecycle, type BlockedChange } from "../core/lifecycle";
import {
  nextMigrationId,
  serializeMigrationFile,
  slugOf,
  type MigrationFile,
} from "../core/migration-file";
import {
  adoptedObjects,
  describeDrift,
  type AdoptedObjects,
  type DriftEntry,
} from "../core/reconcile";
import { applyRenames, findRenameCandidates } from "../core/renames";
import { applyVersionBumps, findDatabaseMoves, findVersionBumps } from "../core/version-bump";
import { readLiveState } from "./live-state";
import { readAppliedState } from "./applied-state";
import { writeMigration } from "../runtime/migration-store";
import {
  desiredState,
  projectDiffOptions,
  foldAll,
  loadProject,
  resolveTarget,
  usesKafka,
  withClickHouse,
  withKafka,
  type GlobalOptions,
  type ProjectContext,
} from "./context";
import type { ModelWarning } from "../model/warnings";
import type { DecisionPort, PendingDecision } from "./decisions";

export interface GenerateOptions extends GlobalOptions {
  save: boolean;
  /** `--no-auto-backfill-sql` sets false: version bumps get no backfill delta. */
  autoBackfill?: boolean;
  description?: string;
  /** Generation requires a live target (`moose plan`). */
  requireTarget?: boolean;
  now?: () => Date;
}

export interface GenerateResult {
  command: "generate";
  status: "no-changes" | "dry-run" | "written";
  /** What the diff was taken against. */
  base: "live" | "committed-files";
  parentStateHash: string;
  deltas: Delta[];
  blocked: BlockedChange[];
  /** Destructive operations approved (by the user, flags or hints). */
  approvedDestructive: string[];
  file?: MigrationFile;
  path?: string;
  yaml?: string;
  unsupportedTables: string[];
  /** How many leading deltas record objects that already exist (adopted), not changes. */
  adoptedRecords: number;
  /** Type errors outside the models and tsconfig problems (loading went on). */
  warnings: ModelWarning[];
  /** `moose plan`: the decisions `generate` would ask for (plan never asks). */
  pendingDecisions?: PendingDecision[];
}

const driftError = (drift: DriftEntry[]) =>
  new MooseError(
    "DRIFT_DETECTED",
    `The database differs from what the applied migrations produced:\n${drift.map(describeDrift).join("\n")}`,
    {
      hint: "Committed files are waiting to be applied, so the next file must build on them; first run `moose migrate` (or undo the manual change), then generate again.",
      details: { drift },
    },
  );

/** The state to diff the code against (DESIGN §4.4). */
const baseState = async (
  ctx: ProjectContext,
  committed: InfraMap,
  code: InfraMap,
  ch: ClickHousePort | undefined,
  kafka: KafkaPort | undefined,
): Promise<{
  base: InfraMap;
  kind: GenerateResult["base"];
  unsupported: string[];
  sqlKey?: (sql: string) => string;
  adopted?: Delta[];
}> => {
  if (!ch) return { base: committed, kind: "committed-files", unsupported: [] };
  const { journalState, appliedState } = await readAppliedState(ctx, ch, false);
  const appliedIds = new Set(journalState.applied.map((a) => a.id));
  const reconciled = await readLiveState(ctx, ch, appliedState, code, kafka);
  const unsupported = reconciled.schema.unsupported.map(
    (u) => `${u.database}.${u.name} (${u.reason})`,
  );
  const sqlKey = reconciled.sqlKey;
  const pending = ctx.migrations.filter((m) => !appliedIds.has(m.file.id));
  if (pending.length === 0)
    return {
      base: reconciled.state,
      kind: "live",
      unsupported,
      sqlKey,
      adopted: adoptionRecords(adoptedObjects(reconciled.state, appliedState, committed)),
    };
  if (reconciled.drift.length > 0) throw driftError(reconciled.drift);
  return { base: committed, kind: "committed-files", unsupported, sqlKey };
};

/**
 * Records of the adopted objects, as Create deltas of their live form. A file that has changes
 * starts with them so that the fold of the committed files knows these objects too (later
 * deltas on them then fold), and `migrate` skips them as already present. Externally managed
 * objects are never recorded.
 */
const adoptionRecords = (adopted: AdoptedObjects): Delta[] => [
  ...Object.values(adopted.tables)
    .filter((t) => t.life_cycle !== "EXTERNALLY_MANAGED")
    .map((table): Delta => ({ type: "CreateTable", table })),
  ...Object.values(adopted.views).map((view): Delta => ({ type: "CreateView", view })),
  ...Object.values(adopted.materialized_views)
    .filter((mv) => mv.lifeCycle !== "EXTERNALLY_MANAGED")
    .map((mv): Delta => ({ type: "CreateMaterializedView", mv })),
];

/** A file id after every existing one, even if the clock went backwards. */
export const generateMigration = async (
  opts: GenerateOptions,
  decisions: DecisionPort,
): Promise<GenerateResult> => {
  const ctx = loadProject(opts);
  const target = resolveTarget(opts, ctx);
  if (!target && opts.requireTarget) {
    throw new MooseError("TARGET_MISSING", "No ClickHouse target to compare against", {
      hint: "Pass --clickhouse-url (or set MOOSE_CLICKHOUSE_CONFIG__URL, or [clickhouse_config] url in moose.config.toml).",
      exitCode: 2,
    });
  }
  // Committed files must fold before anything else is trusted; the fold is also the offline base.
  const committed = foldAll(ctx);
  const code = desiredState(ctx, committed);
  const { base, kind, unsupported, sqlKey, adopted } = target
    ? await withClickHouse(opts, target, (ch) =>
        withKafka(opts, ctx, usesKafka(ctx, committed, code), (kafka) =>
          baseState(ctx, committed, code, ch, kafka),
        ),
      )
    : await baseState(ctx, committed, code, undefined, undefined);
  const now = (opts.now ?? (() => new Date()))();
  const { id, createdAt } = nextMigrationId(
    ctx.migrations.at(-1)?.file.id,
    now,
    slugOf(opts.description ?? "migration"),
  );
  const approvedAt = createdAt.toISOString();

  let raw = diffMaps(base, code, projectDiffOptions(ctx, sqlKey ? { sqlKey } : {}));
  // Renames are decided before lifecycle rules: a rename is allowed where a drop is not.
  const candidates = findRenameCandidates(raw, base, code).filter(
    (c) => code.tables[c.tableId]?.life_cycle !== "EXTERNALLY_MANAGED",
  );
  if (candidates.length > 0) {
    const answers = await decisions.decideRenames(candidates);
    raw = applyRenames(
      raw,
      candidates.filter((_, i) => answers[i] === true),
      base,
    );
  }
  const { allowed, blocked } = filterByLifecycle(raw, base, code, (d) =>
    deltaTableIdIn(d, ctx.defaultDb),
  );
  checkTopicDeltas(allowed);
  const moves = findDatabaseMoves(allowed, ctx.defaultDb);
  if (moves.length > 0) {
    const m = moves[0]!;
    throw new MooseError(
      "MODEL_DATABASE_MOVE",
      `Table validation failed: the database field changed for table '${m.table}' from '${m.from}' to '${m.to}'. Changing the database is a destructive operation (drop in one database, create in the other) that requires manual intervention.`,
      {
        hint: `Keep the table where it is, or move the data yourself: create the new table, copy with INSERT INTO \`${m.to}\`.\`${m.table}\` SELECT * FROM \`${m.from}\`.\`${m.table}\` (a RawSql delta), then drop the old one.`,
      },
    );
  }
  let planned = allowed;
  const bumps = findVersionBumps(allowed, ctx.defaultDb);
  if (bumps.length > 0) {
    const answers = await decisions.decideVersionBumps(bumps, opts.autoBackfill !== false);
    planned = applyVersionBumps(allowed, bumps, answers, ctx.defaultDb, approvedAt);
  }
  let deltas = orderDeltas(planned, ctx.defaultDb);
  const parentStateHash = olapStateHash(base);
  // The stream hash is written once the project has topics (Moose's own files have none).
  const parentStreamHash =
    Object.keys(base.topics).length > 0 || deltas.some(isTopicDelta)
      ? streamStateHash(base)
      : undefined;
  const result: GenerateResult = {
    command: "generate",
    status: "no-changes",
    warnings: ctx.warnings,
    base: kind,
    parentStateHash,
    deltas,
    blocked,
    approvedDestructive: [],
    unsupportedTables: unsupported,
    adoptedRecords: 0,
  };
  if (deltas.length === 0) return result;

  // Decisions already recorded (version-bump drops) are not asked again.
  const destructive = deltas
    .filter((d) => !("policy" in d && d.policy !== undefined))
    .map(destructiveSummary)
    .filter((s): s is string => s !== null);
  if (destructive.length > 0) {
    const ok = await decisions.approveDestructive(destructive);
    if (!ok)
      throw new MooseError(
        "DECISION_NEEDED",
        "Migration generation aborted: destructive changes were rejected",
        {
          hint: 'Nothing was written. Safer option: create a new version of the table (version: "2.0") and migrate gradually.',
        },
      );
    result.approvedDestructive = destructive;
  }
  deltas = [...(adopted ?? []), ...deltas.map((d) => withPolicy(d, approvedAt))];
  result.adoptedRecords = adopted?.length ?? 0;
  const file: MigrationFile = {
    id,
    description: opts.description ?? "migration",
    parent_state_hash: parentStateHash,
    ...(parentStreamHash !== undefined ? { parent_stream_hash: parentStreamHash } : {}),
    deltas,
    created_at: createdAt.toISOString(),
  };
  result.deltas = deltas;
  result.file = file;
  result.yaml = serializeMigrationFile(file);
  if (!opts.save) return { ...result, status: "dry-run" };
  return { ...result, status: "written", path: writeMigration(ctx.root, file) };
};
