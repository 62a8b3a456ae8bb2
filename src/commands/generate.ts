import type { ClickHousePort } from "../adapters/clickhouse";
import type { KafkaPort } from "../adapters/kafka";
import { MooseError } from "../errors";
import { conflictError } from "../core/chain";
import { checkChainRemembering } from "./chain-cache";
import type { Decision } from "../core/decisions";
import { deltaTableIdIn, type Delta } from "../core/deltas";
import { foldFiles } from "../core/fold";
import { tableNamer, type InfraMap } from "../core/infra-map";
import type { BlockedChange } from "../core/lifecycle";
import {
  nextMigrationId,
  readMigrationFile,
  renderMigrationFile,
  sameYamlValue,
  slugOf,
  type MigrationFile,
} from "../core/migration-file";
import type { Plan } from "../core/plan";
import { describeDrift, type DriftEntry } from "../core/reconcile";
import type { ModelWarning } from "../model/warnings";
import type { JournalState } from "../runtime/journal";
import { MIGRATIONS_DIR, writeMigration } from "../runtime/migration-store";
import { readAppliedState } from "./applied-state";
import { checkDdlInScratch, ddlRejectedError, type DdlCheck } from "./check-ddl";
import { checkModelSql } from "./check-model-sql";
import {
  desiredState,
  foldAll,
  loadProject,
  managedDatabases,
  projectDiffOptions,
  resolveTarget,
  targetFlag,
  kafkaWanted,
  withClickHouse,
  withKafka,
  type GlobalOptions,
  type ProjectContext,
} from "./context";
import { decidePlan, type DecisionPort } from "./decisions";
import { readLiveState } from "./live-state";
import { lossChecks } from "../core/data-safety";
import { planRisks, withLiveCounts, type Risk } from "../core/risks";
import { countLosses, tableRows } from "../runtime/data-safety";
import { tableDatabase } from "../core/infra-map";

export interface GenerateOptions extends GlobalOptions {
  save: boolean;
  /** `--no-auto-backfill-sql` sets false: version bumps get no backfill delta. */
  autoBackfill?: boolean;
  description?: string;
  /** `moose plan`: a live target is required and nothing is written anywhere, not even scratch. */
  preview?: boolean;
  now?: () => Date;
}

export interface GenerateResult {
  /** `plan` for the read-only preview. */
  command: "generate" | "plan";
  status: "no-changes" | "dry-run" | "written";
  /** `moose plan`: a read-only preview. */
  preview: boolean;
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
  /** How many leading deltas record what the database already has (adopted objects, hand-made changes). */
  records: number;
  /** Every decision the plan involved (destructive ones with the table's row count when live). */
  decisions: Decision[];
  /** `moose plan`: the decisions `generate` would ask for (plan never asks). */
  pendingDecisions: Decision[];
  /** What was checked before the file was written, and what could not be. */
  checks: { fold: boolean } & DdlCheck;
  /** Internal table ids of the deltas (`local_Bar`) → the names users write (`Bar`). */
  tableNames: Record<string, string>;
  /** Type errors outside the models and tsconfig problems (loading went on). */
  warnings: ModelWarning[];
  /** How risky each change is (records excluded), with live counts when the base is live. */
  risks: Risk[];
}

/** Hand-made changes found while committed files wait to be applied (the next file cannot answer them). */
const driftError = (
  drift: DriftEntry[],
  journal: JournalState,
  flag: string,
  files: ReadonlySet<string>,
) => {
  // Only a stopped file that is still there (a removed one was the user's way out).
  const stopped = [...journal.incomplete.values()].filter((p) => files.has(p.id));
  const hint =
    stopped.length > 0
      ? `Migration '${stopped[0]!.id}' stopped part-way${stopped[0]!.lastError ? ` (${stopped[0]!.lastError.split("\n")[0]})` : ""}, so the database holds part of it. Either finish it: fix the cause and run \`moose migrate${flag}\` (it resumes); or drop it: delete ${MIGRATIONS_DIR}/${stopped[0]!.id}.yaml, then run \`moose generate migration --save${flag}\` (the new file records what the stopped one changed and goes on from there).`
      : `Committed files are waiting to be applied, so the next file must build on them: run \`moose migrate${flag}\` first (its parent check names the difference), or undo the manual change; then generate again.`;
  return new MooseError(
    "DRIFT_DETECTED",
    `The database differs from what the applied migrations produced:\n${drift.map(describeDrift).join("\n")}`,
    { hint, details: { drift, incomplete: stopped.map((s) => s.id) } },
  );
};

interface Base {
  base: InfraMap;
  kind: GenerateResult["base"];
  unsupported: string[];
  sqlKey?: (sql: string) => string;
}

/**
 * The state to diff the code against (DESIGN §4.4): the live database (reconciled with the
 * applied files) when every committed file is applied, else the fold of the committed files.
 */
const baseState = async (
  ctx: ProjectContext,
  committed: InfraMap,
  code: InfraMap,
  ch: ClickHousePort | undefined,
  kafka: KafkaPort | undefined,
  flag: string,
): Promise<Base> => {
  if (!ch) return { base: committed, kind: "committed-files", unsupported: [] };
  const { journalState, appliedState, devManaged } = await readAppliedState(ctx, ch, false, {
    targetFlag: flag,
  });
  const appliedIds = new Set(journalState.applied.map((a) => a.id));
  const reconciled = await readLiveState(ctx, ch, appliedState, code, kafka);
  const unsupported = reconciled.schema.unsupported.map(
    (u) => `${u.database}.${u.name} (${u.reason})`,
  );
  const sqlKey = reconciled.sqlKey;
  // moose dev's database already holds the uncommitted change: the files are the base.
  if (devManaged) return { base: committed, kind: "committed-files", unsupported, sqlKey };
  if (ctx.migrations.every((m) => appliedIds.has(m.file.id)))
    return { base: reconciled.state, kind: "live", unsupported, sqlKey };
  if (reconciled.drift.length > 0)
    throw driftError(
      reconciled.drift,
      journalState,
      flag,
      new Set(ctx.migrations.map((m) => m.file.id)),
    );
  return { base: committed, kind: "committed-files", unsupported, sqlKey };
};

const namesOf = (
  deltas: readonly Delta[],
  base: InfraMap,
  code: InfraMap,
  defaultDb: string,
): Record<string, string> => {
  const name = tableNamer(code, base);
  return Object.fromEntries(
    deltas.map((d) => deltaTableIdIn(d, defaultDb)).map((id) => [id, name(id)]),
  );
};

/**
 * Checks that the tool itself accepts what it is about to write: the YAML reads back to the same
 * file, and the committed files plus this one fold and fork nowhere (`migrate --validate`).
 */
const checkWritable = (
  ctx: ProjectContext,
  file: MigrationFile,
  written: { text: string; value: unknown },
): InfraMap => {
  const { file: reread, value } = readMigrationFile(
    written.text,
    `${MIGRATIONS_DIR}/${file.id}.yaml`,
  );
  if (!sameYamlValue(value, written.value))
    throw new MooseError(
      "INTERNAL",
      `The file generated for '${file.id}' does not read back as written`,
      {
        hint: "Nothing was written. This is a bug in the tool; report it with the model change that caused it.",
      },
    );
  const { state, conflicts } = checkChainRemembering(ctx, [
    ...ctx.migrations.map((m) => m.file),
    reread,
  ]);
  if (conflicts.length > 0) throw conflictError(conflicts, { conflicts });
  return state;
};

/**
 * Each change's risk; with the live database as the base, the values that would not fit now
 * (one query per table) and the rows a drop removes (one catalog query). A count that cannot
 * be read leaves the risk without it: generate does not fail on a preview number.
 */
const risksOf = async (
  plan: Plan,
  b: Base,
  code: InfraMap,
  ch: ClickHousePort | undefined,
): Promise<Risk[]> => {
  const records = plan.deltas.length > 0 ? plan.records.length : 0;
  const nameOf = tableNamer(b.base, code);
  const risks = planRisks(plan.deltas, records, b.base, nameOf);
  if (!ch || b.kind !== "live" || risks.length === 0) return risks;
  const checks = lossChecks(plan.deltas, b.base, (i) => i >= records, nameOf);
  const counted = await countLosses(ch, checks).catch(() => []);
  const physical = risks.flatMap((r) => {
    const t = r.tableId !== undefined ? b.base.tables[r.tableId] : undefined;
    return t && r.table !== undefined
      ? [{ table: r.table, physical: `${tableDatabase(t, b.base.default_database)}.${t.name}` }]
      : [];
  });
  return withLiveCounts(risks, counted, await tableRows(ch, physical));
};

export const generateMigration = async (
  opts: GenerateOptions,
  decisions: DecisionPort,
): Promise<GenerateResult> => {
  const ctx = loadProject(opts);
  const target = resolveTarget(opts, ctx);
  if (!target && opts.preview) {
    throw new MooseError("TARGET_MISSING", "No ClickHouse target to compare against", {
      hint: "Pass --clickhouse-url (or set MOOSE_CLICKHOUSE_CONFIG__URL, or [clickhouse_config] url in moose.config.toml).",
      exitCode: 2,
    });
  }
  // Committed files must fold before anything else is trusted; the fold is also the offline base.
  const committed = foldAll(ctx);
  const code = desiredState(ctx, committed);
  const now = (opts.now ?? (() => new Date()))();
  const { id, createdAt } = nextMigrationId(
    ctx.migrations.at(-1)?.file.id,
    now,
    slugOf(opts.description ?? "migration"),
  );

  const run = async (ch?: ClickHousePort, kafka?: KafkaPort): Promise<GenerateResult> => {
    const flag = targetFlag(opts, target);
    // ClickHouse's parser over the model's SQL (one query), before anything reaches scratch DDL.
    const sqlCheck = ch ? await checkModelSql(ch, code) : undefined;
    const b = await baseState(ctx, committed, code, ch, kafka, flag);
    /** ClickHouse's verdict on a plan's new and changed objects (with a target, outside plan). */
    const checkDdl = async (
      plan: Plan,
      // The state after the file, when the chain check has already folded it.
      folded?: InfraMap,
    ): Promise<DdlCheck | undefined> => {
      if (!ch || opts.preview || plan.changes.length === 0) return undefined;
      const after = folded ?? foldFiles([{ id, deltas: plan.deltas }], ctx.defaultDb, committed);
      const { check, rejected } = await checkDdlInScratch(
        ch,
        plan.changes,
        after,
        managedDatabases(ctx),
      );
      if (rejected.length > 0) throw ddlRejectedError(rejected, flag);
      return check;
    };
    const { plan, pending } = await decidePlan(
      {
        committed,
        base: b.base,
        code,
        diff: projectDiffOptions(ctx, b.sqlKey ? { sqlKey: b.sqlKey } : {}),
        autoBackfill: opts.autoBackfill !== false,
        approvedAt: createdAt.toISOString(),
        answers: {},
      },
      decisions,
      ch,
      (provisional) => checkDdl(provisional),
    );
    const result: GenerateResult = {
      command: opts.preview === true ? "plan" : "generate",
      status: "no-changes",
      preview: opts.preview === true,
      warnings: ctx.warnings,
      base: b.kind,
      parentStateHash: plan.parentStateHash,
      deltas: plan.deltas,
      blocked: plan.blocked,
      approvedDestructive: [],
      unsupportedTables: b.unsupported,
      records: plan.deltas.length > 0 ? plan.records.length : 0,
      decisions: plan.decisions,
      pendingDecisions: pending,
      checks: { fold: false, checked: [], notChecked: [] },
      tableNames: namesOf(plan.deltas, b.base, code, ctx.defaultDb),
      risks: await risksOf(plan, b, code, ch),
    };
    if (sqlCheck?.notRun !== undefined) result.checks.notChecked.push(sqlCheck.notRun);
    if (plan.deltas.length === 0) return result;
    if (plan.refused.length > 0)
      throw new MooseError(
        "DECISION_NEEDED",
        `Migration generation aborted: destructive changes were rejected:\n${plan.refused.map((d) => `  - ${d.description}`).join("\n")}`,
        {
          hint: 'Nothing was written. Safer option: create a new version of the table (version: "2.0") and migrate gradually.',
          exitCode: 3,
        },
      );
    result.approvedDestructive = plan.decisions.flatMap((d) =>
      d.kind === "destructive" && !pending.some((p) => p.id === d.id) ? [d.summary] : [],
    );
    const file: MigrationFile = {
      id,
      description: opts.description ?? "migration",
      parent_state_hash: plan.parentStateHash,
      ...(plan.parentStreamHash !== undefined ? { parent_stream_hash: plan.parentStreamHash } : {}),
      deltas: plan.deltas,
      created_at: createdAt.toISOString(),
    };
    result.file = file;
    const written = renderMigrationFile(file);
    result.yaml = written.text;
    const after = checkWritable(ctx, file, written);
    result.checks.fold = true;
    const check = await checkDdl(plan, after);
    if (check) {
      result.checks = {
        fold: true,
        checked: check.checked,
        notChecked: [...result.checks.notChecked, ...check.notChecked],
      };
    } else {
      result.checks.notChecked.push(
        ch
          ? "ClickHouse checks not run: `moose plan` writes nothing, not even scratch databases"
          : "ClickHouse checks not run: no target (pass --clickhouse-url to have ClickHouse check every CREATE before the file is written)",
      );
    }
    if (!opts.save || opts.preview) return { ...result, status: "dry-run" };
    return { ...result, status: "written", path: writeMigration(ctx.root, file, result.yaml) };
  };

  return target
    ? withClickHouse(opts, target, (ch) =>
        withKafka(opts, ctx, kafkaWanted(ctx, target, committed, code), (kafka) => run(ch, kafka)),
      )
    : run();
};
