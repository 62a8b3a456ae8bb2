import type { ClickHousePort } from "../adapters/clickhouse";
import {
  pendingOf,
  type Answer,
  type Answers,
  type Decision,
  type DestructiveDecision,
} from "../core/decisions";
import { planMigration, type Plan, type PlanInput } from "../core/plan";
import { quoteString } from "../core/sql-quote";

/**
 * Where a command gets the decisions a plan needs (renames, destructive changes, version
 * bumps). The planner lists them as data; the UI layer answers from flags, environment and
 * `--hints` (`known`), then by asking a person, or refuses with every pending decision listed
 * when nobody can be asked (`ask`).
 */
export interface DecisionPort {
  /** Answers that need no question (flags, environment, hints); may be partial. */
  known(pending: readonly Decision[]): Answers;
  /**
   * Answers some of the pending decisions by asking, or throws DECISION_NEEDED listing all of
   * them. An empty answer leaves them pending (a preview).
   */
  ask(pending: readonly Decision[]): Promise<Answers>;
}

/** A port answering every decision by a rule, without asking (tests, scripted callers). */
export const answerWith = (rule: (d: Decision) => Answer | undefined): DecisionPort => {
  const known = (pending: readonly Decision[]): Answers =>
    Object.fromEntries(
      pending.flatMap((d) => {
        const a = rule(d);
        return a === undefined ? [] : [[d.id, a]];
      }),
    );
  return { known, ask: (pending) => Promise.resolve(known(pending)) };
};

/**
 * `moose plan`: nothing is asked, every decision stays pending and is listed. The plan shown is
 * what a plain "yes" gives (destructive changes in, version bumps backfilled with the old table
 * dropped), except renames, shown as drop + add since a rename is the user's call.
 */
export const previewDecisions: DecisionPort = {
  known: () => ({}),
  ask: () => Promise.resolve({}),
};

/** Row counts of the tables destructive decisions concern (one query), for the prompt. */
const withRowCounts = async (
  pending: readonly Decision[],
  ch: ClickHousePort | undefined,
): Promise<Decision[]> => {
  const physical = pending.flatMap((d) =>
    d.kind === "destructive" && d.physical !== undefined ? [d.physical] : [],
  );
  if (!ch || physical.length === 0) return [...pending];
  const rows = await ch
    .query<{ t: string; n: string | number | null }>(
      `SELECT concat(database, '.', name) AS t, total_rows AS n FROM system.tables WHERE concat(database, '.', name) IN (${physical.map(quoteString).join(", ")})`,
    )
    .catch(() => []);
  const count = new Map(rows.map((r) => [r.t, r.n === null ? undefined : Number(r.n)]));
  return pending.map((d) => {
    if (d.kind !== "destructive" || d.physical === undefined) return d;
    const n = count.get(d.physical);
    return n === undefined ? d : ({ ...d, rows: n } satisfies DestructiveDecision);
  });
};

export interface DecidedPlan {
  plan: Plan;
  /** Decisions left unanswered (a preview leaves them all). */
  pending: Decision[];
  /** Every answer the plan was made with (the given ones and the new ones). */
  answers: Answers;
}

/**
 * Plans, asks for what the plan needs, plans again with the answers, until nothing more can be
 * answered. Every pending decision is offered at once (renames, destructive changes, version
 * bumps); an answer can change what else is needed (a refused rename makes a column drop), so
 * the loop runs until the pending set is answered or the port leaves it pending (a preview).
 * `generate` starts from no answers; `moose dev` from the ones given in earlier cycles.
 */
export const decidePlan = async (
  input: PlanInput,
  port: DecisionPort,
  ch: ClickHousePort | undefined,
  /** Run once before anyone is asked: nobody should answer questions about a doomed file. */
  beforeAsking: (plan: Plan) => Promise<unknown> = () => Promise.resolve(),
): Promise<DecidedPlan> => {
  let answers: Answers = input.answers;
  let checked = false;
  for (;;) {
    const plan = planMigration({ ...input, answers });
    const pending = await withRowCounts(pendingOf(plan.decisions, answers), ch);
    if (pending.length === 0 || plan.refused.length > 0) return { plan, pending: [], answers };
    const known = port.known(pending);
    if (Object.keys(known).length === 0 && !checked) {
      checked = true;
      await beforeAsking(plan);
    }
    const more = Object.keys(known).length > 0 ? known : await port.ask(pending);
    if (Object.keys(more).length === 0) return { plan, pending, answers };
    answers = { ...answers, ...more };
  }
};
