import { MooseError } from "../errors";
import {
  destructiveDecision,
  renameDecision,
  versionBumpDecision,
  type Answers,
  type Decision,
} from "./decisions";
import { deltaTableIdIn, isTopicDelta, withPolicy, type Delta } from "./deltas";
import { diffMaps, type DiffOptions } from "./diff";
import { olapStateHash, streamStateHash } from "./hash";
import type { InfraMap } from "./infra-map";
import { filterByLifecycle, type BlockedChange } from "./lifecycle";
import { orderDeltas } from "./order";
import { applyRenames, findRenameCandidates } from "./renames";
import { checkTopicDeltas } from "./topics";
import {
  applyVersionBumps,
  findDatabaseMoves,
  findVersionBumps,
  type VersionBumpDecision,
} from "./version-bump";

/*
 * The one planner. `generate`, `plan`, `migrate`'s "unmigrated changes" check and `dev` all
 * turn (committed state, base state, code state, project rules, answers) into a plan here, so
 * ignore_operations, lifecycle, renames, version bumps and decisions mean the same thing
 * everywhere. Pure: the commands read the states and ask the questions.
 */

export interface PlanInput {
  /** Fold of the committed files: where the next file's fold starts. */
  committed: InfraMap;
  /**
   * The state the next file applies to: the committed state, or the live database reconciled
   * with the applied files (then it may hold hand-made changes and adopted objects).
   */
  base: InfraMap;
  /** What the code declares. */
  code: InfraMap;
  /** The project's comparison rules (ignore_operations, SELECT comparison key). */
  diff: DiffOptions;
  /** Answers given so far, by decision id; an unanswered decision takes its preview default. */
  answers: Answers;
  /** Version bumps copy the old rows unless `--no-auto-backfill-sql`. */
  autoBackfill: boolean;
  /** Time recorded in the policy of approved destructive deltas. */
  approvedAt: string;
}

export interface Plan {
  /**
   * Deltas that record what the database already has and the committed files do not (objects
   * adopted, hand-made changes): they lead a file that changes anything, so the committed files
   * fold into the state the file's changes apply to. `migrate` finds each already in effect
   * and runs nothing for it.
   */
  records: Delta[];
  /** The changes, ordered, approved destructive ones carrying their policy. */
  changes: Delta[];
  /** `records` then `changes`, or nothing when there are no changes: the next file's deltas. */
  deltas: Delta[];
  /** Changes the lifecycle rules keep out. */
  blocked: BlockedChange[];
  /** Every decision this plan involves, answered or not. */
  decisions: Decision[];
  /** Decisions answered "no" that stop the plan (a destructive change refused). */
  refused: Decision[];
  parentStateHash: string;
  /** Written once the project has topics (Moose's own files have none). */
  parentStreamHash?: string;
}

const bumpAnswer = (answer: unknown, autoBackfill: boolean): VersionBumpDecision | undefined =>
  answer === true
    ? { backfill: autoBackfill, dropOld: true }
    : answer === false
      ? { backfill: false, dropOld: false }
      : typeof answer === "object" && answer !== null
        ? (answer as VersionBumpDecision)
        : undefined;

/** Refuses a table moved to another database (Moose's rule: the data must be moved by hand). */
const refuseDatabaseMoves = (deltas: readonly Delta[], defaultDb: string): void => {
  const m = findDatabaseMoves(deltas, defaultDb)[0];
  if (!m) return;
  throw new MooseError(
    "MODEL_DATABASE_MOVE",
    `Table validation failed: the database field changed for table '${m.table}' from '${m.from}' to '${m.to}'. Changing the database is a destructive operation (drop in one database, create in the other) that requires manual intervention.`,
    {
      hint: `Keep the table where it is, or move the data yourself: create the new table, copy with INSERT INTO \`${m.to}\`.\`${m.table}\` SELECT * FROM \`${m.from}\`.\`${m.table}\` (a RawSql delta), then drop the old one.`,
    },
  );
};

/**
 * Records taking the committed state to the base: the base's objects the committed files do
 * not know (adopted) and every difference found in the database (drift). Externally managed
 * objects are never recorded: the tool never changes them, so no later delta needs them.
 */
const recordsOf = (committed: InfraMap, base: InfraMap, diff: DiffOptions): Delta[] =>
  committed === base
    ? []
    : diffMaps(committed, base, { ...diff, ignore: [] }).filter(
        (d) =>
          !(d.type === "CreateTable" && d.table.life_cycle === "EXTERNALLY_MANAGED") &&
          !(d.type === "CreateMaterializedView" && d.mv.lifeCycle === "EXTERNALLY_MANAGED"),
      );

export const planMigration = (input: PlanInput): Plan => {
  const { base, code, answers } = input;
  const db = base.default_database;
  const decisions: Decision[] = [];

  let raw = diffMaps(base, code, input.diff);
  // Renames are decided before lifecycle rules: a rename is allowed where a drop is not.
  const candidates = findRenameCandidates(raw, base, code).filter(
    (c) => code.tables[c.tableId]?.life_cycle !== "EXTERNALLY_MANAGED",
  );
  const renamed = candidates.filter((c) => {
    const d = renameDecision(c, code);
    decisions.push(d);
    return answers[d.id] === true;
  });
  if (renamed.length > 0) raw = applyRenames(raw, renamed, base);

  const { allowed, blocked } = filterByLifecycle(raw, base, code, (d) => deltaTableIdIn(d, db));
  checkTopicDeltas(allowed);
  refuseDatabaseMoves(allowed, db);

  let planned = allowed;
  const bumps = findVersionBumps(allowed, db);
  if (bumps.length > 0) {
    const chosen = bumps.map((b) => {
      const d = versionBumpDecision(b, db);
      decisions.push(d);
      // Unanswered: the preview shows what a plain "yes" gives.
      return (
        bumpAnswer(answers[d.id], input.autoBackfill) ?? {
          backfill: input.autoBackfill,
          dropOld: true,
        }
      );
    });
    planned = applyVersionBumps(allowed, bumps, chosen, db, input.approvedAt);
  }

  const refused: Decision[] = [];
  const changes = orderDeltas(planned, db).map((delta) => {
    // A decision already recorded in the delta (a version bump's drop) is not asked again.
    if ("policy" in delta && delta.policy !== undefined) return delta;
    const d = destructiveDecision(delta, base);
    if (d === null) return delta;
    decisions.push(d);
    if (answers[d.id] === false) refused.push(d);
    // Approved, or pending (a preview shows it as if approved): the policy records the "yes".
    return withPolicy(delta, input.approvedAt);
  });

  const records = changes.length > 0 ? recordsOf(input.committed, base, input.diff) : [];
  // A file with records starts where the committed files end (its fold, and any database built
  // from the files, is there); the database it was generated against is there plus what the
  // records say, which `migrate` accepts as such.
  const hasTopics = Object.keys(base.topics).length > 0 || changes.some(isTopicDelta);
  return {
    records,
    changes,
    deltas: changes.length > 0 ? [...records, ...changes] : [],
    blocked,
    decisions,
    refused,
    parentStateHash: olapStateHash(records.length > 0 ? input.committed : base),
    ...(hasTopics
      ? { parentStreamHash: streamStateHash(records.length > 0 ? input.committed : base) }
      : {}),
  };
};
