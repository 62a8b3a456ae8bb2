import type { JournalState } from "./journal";
import { checksumMatches, type StoredMigration } from "./migration-store";

/** An applied or half-applied file whose content is not what the journal recorded. */
export type HistoryProblem =
  | { kind: "changed"; id: string; journaled: string; now: string }
  | { kind: "missing"; id: string; journaled: string }
  | {
      kind: "changed-incomplete";
      id: string;
      journaled: string;
      now: string;
      opsDone: number;
      deltas: number;
    };

/**
 * Compares the journal's checksums with the files. Applied files must be there and unchanged;
 * a half-applied file that is still there must be unchanged since it started (one that was
 * deleted is a sanctioned way out of a failure, not a problem). Changed `accepted` ids are
 * skipped: the user is recording their new content (a missing file cannot be accepted: there
 * is no content to record). Pure: reads nothing.
 */
export const historyProblems = (
  journal: JournalState,
  files: readonly StoredMigration[],
  accepted: ReadonlySet<string> = new Set(),
): HistoryProblem[] => {
  const byId = new Map(files.map((m) => [m.file.id, m]));
  const out: HistoryProblem[] = [];
  for (const a of journal.applied) {
    const m = byId.get(a.id);
    if (!m) out.push({ kind: "missing", id: a.id, journaled: a.checksum });
    else if (!accepted.has(a.id) && a.checksum !== "" && !checksumMatches(m, a.checksum))
      out.push({ kind: "changed", id: a.id, journaled: a.checksum, now: m.checksum });
  }
  for (const p of journal.incomplete.values()) {
    const m = byId.get(p.id);
    if (!m || p.checksum === "" || checksumMatches(m, p.checksum)) continue;
    out.push({
      kind: "changed-incomplete",
      id: p.id,
      journaled: p.checksum,
      now: m.checksum,
      opsDone: p.opsDone.size,
      deltas: m.file.deltas.length,
    });
  }
  return out;
};
