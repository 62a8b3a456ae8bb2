import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { deltaTableIdIn, destructiveSummary, withPolicy, type Delta } from "../core/deltas";
import { diffMaps, orderDeltas } from "../core/diff";
import { olapStateHash } from "../core/hash";
import type { InfraMap } from "../core/infra-map";
import { filterByLifecycle, type BlockedChange } from "../core/lifecycle";
import {
  idTimestamp,
  serializeMigrationFile,
  slugOf,
  type MigrationFile,
} from "../core/migration-file";
import { reconcile, type DriftEntry } from "../core/reconcile";
import { introspectClickHouse } from "../introspect/clickhouse";
import { readAppliedState } from "./applied-state";
import { writeMigration } from "../runtime/migration-store";
import {
  desiredState,
  foldAll,
  loadProject,
  managedDatabases,
  resolveTarget,
  withClickHouse,
  type GlobalOptions,
  type ProjectContext,
} from "./context";
import type { DecisionPort } from "./decisions";

export interface GenerateOptions extends GlobalOptions {
  save: boolean;
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
}

const driftError = (drift: DriftEntry[]) =>
  new MooseError(
    "DRIFT_DETECTED",
    `The database differs from what the applied migrations produced:\n${drift.map((d) => `  - ${d.tableId}: ${d.details.join("; ")}`).join("\n")}`,
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
): Promise<{ base: InfraMap; kind: GenerateResult["base"]; unsupported: string[] }> => {
  if (!ch) return { base: committed, kind: "committed-files", unsupported: [] };
  const { journalState, appliedState } = await readAppliedState(ctx, ch, false);
  const appliedIds = new Set(journalState.applied.map((a) => a.id));
  const live = await introspectClickHouse(ch, managedDatabases(ctx), ctx.defaultDb);
  const unsupported = live.unsupported.map((u) => `${u.database}.${u.name} (${u.reason})`);
  const reconciled = reconcile(appliedState, live.tables, code);
  const pending = ctx.migrations.filter((m) => !appliedIds.has(m.file.id));
  if (pending.length === 0) return { base: reconciled.state, kind: "live", unsupported };
  if (reconciled.drift.length > 0) throw driftError(reconciled.drift);
  return { base: committed, kind: "committed-files", unsupported };
};

/** A file id after every existing one, even if the clock went backwards. */
const nextId = (ctx: ProjectContext, now: Date, slug: string): { id: string; createdAt: Date } => {
  let at = now;
  const last = ctx.migrations.at(-1)?.file.id;
  while (last !== undefined && `${idTimestamp(at)}_${slug}` <= last)
    at = new Date(at.getTime() + 1);
  return { id: `${idTimestamp(at)}_${slug}`, createdAt: at };
};

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
  const code = desiredState(ctx);
  const { base, kind, unsupported } = target
    ? await withClickHouse(opts, target, (ch) => baseState(ctx, committed, code, ch))
    : await baseState(ctx, committed, code, undefined);

  const raw = diffMaps(base, code);
  const { allowed, blocked } = filterByLifecycle(raw, base, code, (d) =>
    deltaTableIdIn(d, ctx.defaultDb),
  );
  let deltas = orderDeltas(allowed, ctx.defaultDb);
  const parentStateHash = olapStateHash(base);
  const result: GenerateResult = {
    command: "generate",
    status: "no-changes",
    base: kind,
    parentStateHash,
    deltas,
    blocked,
    approvedDestructive: [],
    unsupportedTables: unsupported,
  };
  if (deltas.length === 0) return result;

  const destructive = deltas.map(destructiveSummary).filter((s): s is string => s !== null);
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
  const now = (opts.now ?? (() => new Date()))();
  const { id, createdAt } = nextId(ctx, now, slugOf(opts.description ?? "migration"));
  deltas = deltas.map((d) => withPolicy(d, createdAt.toISOString()));
  const file: MigrationFile = {
    id,
    description: opts.description ?? "migration",
    parent_state_hash: parentStateHash,
    deltas,
    created_at: createdAt.toISOString(),
  };
  result.deltas = deltas;
  result.file = file;
  result.yaml = serializeMigrationFile(file);
  if (!opts.save) return { ...result, status: "dry-run" };
  return { ...result, status: "written", path: writeMigration(ctx.root, file) };
};
