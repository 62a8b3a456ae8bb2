import type { Answer, Answers, Decision } from "../core/decisions";

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
