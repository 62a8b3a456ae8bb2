import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { checkChain } from "../core/chain";
import type { InfraMap } from "../core/infra-map";
import { Journal, summarizeJournal, type JournalState } from "../runtime/journal";
import type { ProjectContext } from "./context";

/** What the target's journal says has been applied, and the state those files produce. */
export interface AppliedState {
  journal: Journal;
  journalState: JournalState;
  /** Fold of the applied files, in the order they were applied. */
  appliedState: InfraMap;
}

/**
 * Reads the journal (creating its table when `create`) and folds the applied files. An applied
 * id with no file in migrations/ is an error: the database was migrated from another branch.
 */
export const readAppliedState = async (
  ctx: ProjectContext,
  ch: ClickHousePort,
  create: boolean,
): Promise<AppliedState> => {
  const journal = new Journal(ch, ctx.defaultDb, ctx.config.clickhouse_config.migrations_table);
  if (create) await journal.ensure();
  const rows = create || (await journal.exists()) ? await journal.read() : [];
  const journalState = summarizeJournal(rows);
  const byId = new Map(ctx.migrations.map((m) => [m.file.id, m.file]));
  const missing = journalState.applied.filter((a) => !byId.has(a.id)).map((a) => a.id);
  if (missing.length > 0) {
    throw new MooseError(
      "MIGRATION_CONFLICT",
      `Applied migration(s) ${missing.join(", ")} are not in migrations/`,
      {
        hint: "The database was migrated from another branch or the files were deleted. Restore the files (git) before migrating.",
      },
    );
  }
  // The applied files, in the order they were applied, must form one history: two branches'
  // files both applied here (siblings on one parent) are an error, never merged silently.
  const { state, conflicts } = checkChain(
    journalState.applied.map((a) => byId.get(a.id)!),
    ctx.defaultDb,
  );
  const fork = conflicts[0];
  if (fork)
    throw new MooseError(
      "JOURNAL_FORK",
      `Migrations ${fork.files.map((f) => `'${f}'`).join(" and ")} were both applied to the same parent state ${fork.parent.slice(0, 12)}…`,
      {
        hint: "Two branches' files were applied to this database. Inspect the journal table, restore the intended state, and regenerate one branch's files on top of the other.",
        details: { conflicts },
      },
    );
  return { journal, journalState, appliedState: state };
};
