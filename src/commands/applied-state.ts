import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { checkChainRemembering } from "./chain-cache";
import type { InfraMap } from "../core/infra-map";
import { Journal, summarizeJournal, type JournalState } from "../runtime/journal";
import { DEV_MARKER_TABLE } from "../runtime/dev-record";
import { historyProblems, type HistoryProblem } from "../runtime/history-check";
import { MIGRATIONS_DIR } from "../runtime/migration-store";
import type { ProjectContext } from "./context";

/** How the journal's checksums are held against the files. */
export interface HistoryOptions {
  /** Ids whose changed content the user accepts (`--accept-changed`): not refused. */
  accept?: ReadonlySet<string>;
  /** The target flag to repeat in the commands an error suggests. */
  targetFlag: string;
}

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
 * Reads the journal (creating its table when `create`), holds its checksums against the files
 * (an applied file changed or missing, or a half-applied one changed, is refused) and folds the
 * applied files.
 */
export const readAppliedState = async (
  ctx: ProjectContext,
  ch: ClickHousePort,
  create: boolean,
  history: HistoryOptions = { targetFlag: "" },
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
  const devManaged = present.has(DEV_MARKER_TABLE);
  // moose dev's journal follows the files (dev rewrites it), so it is not history to hold them to.
  if (!devManaged) {
    const problems = historyProblems(journalState, ctx.migrations, history.accept);
    if (problems.length > 0) throw historyError(problems, ctx.defaultDb, history.targetFlag);
  }
  const byId = new Map(ctx.migrations.map((m) => [m.file.id, m.file]));
  // dev's journal may name files a branch switch removed: dev rewrites it, nothing to fold.
  journalState.applied = journalState.applied.filter((a) => byId.has(a.id));
  // The applied files, in the order they were applied, must form one history: two branches'
  // files both applied here (siblings on one parent) are an error, never merged silently.
  const applied = journalState.applied.map((a) => byId.get(a.id)!);
  // Applied in the committed order (the usual case), the remembered hashes of the committed
  // files hold for them too.
  const { state, conflicts } = checkChainRemembering(ctx, applied);
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
    devManaged,
  };
};

const short = (sum: string) => (sum === "" ? "none" : `${sum.slice(0, 12)}…`);

/** One error for every file that is not what the journal recorded, with both ways out. */
export const historyError = (
  problems: readonly HistoryProblem[],
  database: string,
  targetFlag: string,
): MooseError => {
  const file = (id: string) => `${MIGRATIONS_DIR}/${id}.yaml`;
  const lines = problems.map((p) => {
    switch (p.kind) {
      case "changed":
        return `  - ${file(p.id)} was changed after it was applied (journaled checksum ${short(p.journaled)}, now ${short(p.now)})`;
      case "missing":
        return `  - ${file(p.id)} was applied but is not in ${MIGRATIONS_DIR}/`;
      case "changed-incomplete":
        return `  - ${file(p.id)} stopped part-way (${p.opsDone} of ${p.deltas} delta(s) done) and was changed since it started (journaled checksum ${short(p.journaled)}, now ${short(p.now)}): resuming it could skip or repeat the wrong steps`;
    }
  });
  const missing = problems.some((p) => p.kind === "missing");
  const changedApplied = problems.filter((p) => p.kind === "changed").map((p) => p.id);
  const incomplete = problems.filter((p) => p.kind === "changed-incomplete").map((p) => p.id);
  const changed = problems.filter((p) => p.kind !== "missing").map((p) => file(p.id));
  const gone = problems.filter((p) => p.kind === "missing").map((p) => file(p.id));
  const hints: string[] = [];
  if (changed.length > 0)
    hints.push(
      `Applied files are history: restore ${changed.length === 1 ? "it" : "them"} from version control (e.g. \`git checkout <commit> -- ${changed.join(" ")}\`) and put new changes in a new file with \`moose generate migration --save${targetFlag}\`.`,
    );
  if (changedApplied.length > 0)
    hints.push(
      `If the edit is intended and the database already matches it, record the new content: \`moose migrate${changedApplied.map((id) => ` --accept-changed ${id}`).join("")}${targetFlag}\`.`,
    );
  if (incomplete.length > 0)
    hints.push(
      `For a half-applied file, either restore it as it was when it started (then \`moose migrate${targetFlag}\` resumes it), or delete it and run \`moose generate migration --save${targetFlag}\` to write a new file from where the database is now.`,
    );
  if (missing)
    hints.push(
      `Restore ${gone.join(" ")} from version control (\`git log --all -- ${gone[0]}\` finds the commits that had it); every command refuses this database until then. A missing file usually means the database was migrated from another branch: check out that branch's files, or point at the right database.`,
    );
  return new MooseError(
    missing && changedApplied.length === 0 && incomplete.length === 0
      ? "APPLIED_FILE_MISSING"
      : "APPLIED_FILE_CHANGED",
    `The migration history in database '${database}' does not match migrations/ (refused before anything ran):\n${lines.join("\n")}`,
    { hint: hints.join(" "), details: { problems } },
  );
};
