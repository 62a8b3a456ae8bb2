import { destructiveSummary, type Delta } from "./deltas";
import { recreateReasons } from "./diff";
import { tableId, type InfraMap } from "./infra-map";
import { renderDelta } from "./render-sql";
import { userFacingName } from "./reconcile";
import type { RenameCandidate } from "./renames";
import type { VersionBump, VersionBumpDecision } from "./version-bump";

/*
 * The decisions a plan needs from a person (or an agent), as data. Each has a stable id made
 * of what it is about (`rename:Bar.a->b`, `drop-column:Bar.c`, `version-bump:Bar->Bar_2_0`), so
 * a `--json` reader can answer each one in a later run (`--hints '{"decisions": {id: …}}'`)
 * without knowing the order in which the planner found them.
 */

interface DecisionBase {
  id: string;
  /** One line, naming objects as the user does. */
  description: string;
}

export interface RenameDecision extends DecisionBase {
  kind: "rename";
  table: string;
  from: string;
  to: string;
  confidence: number;
}

export interface DestructiveDecision extends DecisionBase {
  kind: "destructive";
  /** Moose's summary line (`DROP COLUMN \`c\` FROM \`t\``), also the recorded policy's subject. */
  summary: string;
  /** The table, view or topic concerned, as the user names it. */
  object: string;
  /** Physical `database.name` of a table, so the command can count its rows. */
  physical?: string;
  /** The table's row count, when a live target was read. */
  rows?: number;
  /** The statements `migrate` will run for it. */
  sql?: string[];
}

export interface VersionBumpPlanDecision extends DecisionBase {
  kind: "version-bump";
  from: string;
  to: string;
  /** Whether the old rows can be copied (compatible columns exist). */
  canBackfill: boolean;
}

export type Decision = RenameDecision | DestructiveDecision | VersionBumpPlanDecision;
export type DecisionKind = Decision["kind"];

/** An answer: yes / no, or for a version bump what to do with the rows and the old table. */
export type Answer = boolean | VersionBumpDecision;
export type Answers = Readonly<Record<string, Answer>>;

export const renameDecision = (c: RenameCandidate, code: InfraMap): RenameDecision => {
  const t = code.tables[c.tableId];
  const table = t ? userFacingName(t, code.default_database) : c.tableName;
  return {
    id: `rename:${table}.${c.from}->${c.to}`,
    kind: "rename",
    description: `rename column ${table}.${c.from} → ${c.to} (confidence ${c.confidence}; if not, drop + add: the column's data is lost)`,
    table,
    from: c.from,
    to: c.to,
    confidence: c.confidence,
  };
};

export const versionBumpDecision = (b: VersionBump, defaultDb: string): VersionBumpPlanDecision => {
  const from = userFacingName(b.from, defaultDb);
  const v = (version: string | null) => (version === null ? "unversioned" : `v${version}`);
  return {
    id: `version-bump:${from}@${b.from.version ?? "none"}->${b.to.version ?? "none"}`,
    kind: "version-bump",
    description: `version bump of ${from} (${v(b.from.version)} → ${v(b.to.version)}): ${b.backfillColumns === null ? "no compatible columns to copy" : "copy the rows"}, then drop the old table`,
    from: b.from.name,
    to: b.to.name,
    canBackfill: b.backfillColumns !== null,
  };
};

/** The destructive decision a delta needs, or null when it loses no data. */
export const destructiveDecision = (delta: Delta, base: InfraMap): DestructiveDecision | null => {
  const db = base.default_database;
  const tableName = (id: string) => {
    const t = base.tables[id];
    return t ? userFacingName(t, db) : id;
  };
  const summary = destructiveSummary(delta, tableName);
  if (summary === null) return null;
  const physicalOf = (id: string) => {
    const t = base.tables[id];
    return t ? `${t.database ?? db}.${t.name}` : undefined;
  };
  const make = (
    id: string,
    object: string,
    description: string,
    physical?: string,
  ): DestructiveDecision => ({
    id,
    kind: "destructive",
    description,
    summary,
    object,
    ...(physical !== undefined ? { physical } : {}),
    sql: renderDelta(delta, base).map((s) => s.sql),
  });
  switch (delta.type) {
    case "DropTable": {
      const name = userFacingName(delta.table, db);
      return make(
        `drop-table:${name}`,
        name,
        `drop table ${name} and its rows`,
        physicalOf(tableId(delta.table, db)),
      );
    }
    case "RecreateTable": {
      const name = userFacingName(delta.after, db);
      const kept = new Set(delta.after.columns.map((c) => c.name));
      const lost = delta.before.columns.filter((c) => !kept.has(c.name)).map((c) => c.name);
      return make(
        `recreate:${name}`,
        name,
        `recreate table ${name} (${recreateReasons(delta.before, delta.after).join("; ") || "cannot be altered in place"}): the rows are copied into the new table` +
          (lost.length > 0
            ? `; column(s) ${lost.join(", ")} are not in the new schema and their data is lost`
            : ""),
        physicalOf(tableId(delta.before, db)),
      );
    }
    case "DropTableColumn": {
      const name = tableName(delta.table_id);
      return make(
        `drop-column:${name}.${delta.column_name}`,
        name,
        `drop column ${name}.${delta.column_name} and its data`,
        physicalOf(delta.table_id),
      );
    }
    case "DropMaterializedView": {
      const name = userFacingName(delta.mv, db);
      return make(
        `drop-materialized-view:${name}`,
        name,
        `drop materialized view ${name} (rows inserted while it is gone are not transformed)`,
      );
    }
    case "DeleteTopic":
      return make(
        `delete-topic:${delta.topic_id}`,
        delta.topic_id,
        `delete topic ${delta.topic_id} and its messages`,
      );
    default:
      // A delta kind that became destructive without a decision here still gets one.
      return make(`destructive:${summary}`, summary, summary);
  }
};

/** The decisions still without an answer. */
export const pendingOf = (decisions: readonly Decision[], answers: Answers): Decision[] =>
  decisions.filter((d) => answers[d.id] === undefined);
