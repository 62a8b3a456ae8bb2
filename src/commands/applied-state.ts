import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { checkChain } from "../core/chain";
import type { InfraMap } from "../core/infra-map";
import { Journal, summarizeJournal, type JournalState } from "../runtime/journal";
import { DEV_MARKER_TABLE } from "../runtime/dev-record";
import type { ProjectContext } from "./context";

/** What the target's journal says has been applied, and the state those files produce. */
export interface AppliedState {
  journal: Journal;
  journalState: JournalState;
  /** Fold of the applied files, in the order they were applied. */
  appliedState: InfraMap;
  /**
   * `moose dev` keeps this database at the code: its schema is the committed files plus what
   * `pending.yaml` holds, so the committed files (not the live schema) are what the next file
   * builds on, and the difference is not drift.
   */
  devManaged: boolean;
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
  const table = ctx.config.clickhouse_config.migrations_table;
  const journal = new Journal(ch, ctx.defaultDb, table);
  // One catalog read for both: is there a journal, is this moose dev's database.
  const present = new Set(
    (
      await ch.query<{ name: string }>(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name IN ({j:String}, {m:String})",
        { db: ctx.defaultDb, j: table, m: DEV_MARKER_TABLE },
      )
    ).map((r) => r.name),
  );
  if (create) await journal.ensure();
  const rows = create || present.has(table) ? await journal.read() : [];
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
  return {
    journal,
    journalState,
    appliedState: state,
    devManaged: present.has(DEV_MARKER_TABLE),
  };
};
