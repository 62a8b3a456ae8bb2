import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { foldFiles } from "../core/fold";
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
  const appliedState = foldFiles(
    journalState.applied.map((a) => byId.get(a.id)!),
    ctx.defaultDb,
  );
  return { journal, journalState, appliedState };
};
