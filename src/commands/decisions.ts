import type { RenameCandidate } from "../core/renames";
import type { VersionBump, VersionBumpDecision } from "../core/version-bump";

/**
 * Decisions a command may need from a person (or an agent via --hints). Commands ask through
 * this port; the UI layer answers with a prompt, flags, environment or hints.
 */
export interface DecisionPort {
  /** Approve the destructive operations listed (Moose's summary lines)? */
  approveDestructive(summaries: readonly string[]): Promise<boolean>;
  /** For each candidate: true = rename the column, false = drop it and add the new one. */
  decideRenames(candidates: readonly RenameCandidate[]): Promise<boolean[]>;
  /** For each version bump: backfill the new table? drop the old one? */
  decideVersionBumps(
    bumps: readonly VersionBump[],
    autoBackfill: boolean,
  ): Promise<VersionBumpDecision[]>;
}

/** A decision `generate` would ask for, as `moose plan` reports it (plan never asks). */
export interface PendingDecision {
  kind: "destructive" | "rename" | "version-bump";
  description: string;
}

/**
 * The decisions of a read-only preview: nothing is asked, every question is recorded, and the
 * plan shown is the one a plain "yes" would give (destructive changes approved, version bumps
 * backfilled with the old table dropped), except renames, shown as drop + add since a rename
 * is the user's call.
 */
export const previewDecisions = (): { port: DecisionPort; pending: PendingDecision[] } => {
  const pending: PendingDecision[] = [];
  const port: DecisionPort = {
    approveDestructive: (summaries) => {
      for (const s of summaries) pending.push({ kind: "destructive", description: s });
      return Promise.resolve(true);
    },
    decideRenames: (candidates) => {
      for (const c of candidates)
        pending.push({
          kind: "rename",
          description: `rename ${c.tableName}.${c.from} → ${c.to}? (confidence ${c.confidence}; shown as drop + add)`,
        });
      return Promise.resolve(candidates.map(() => false));
    },
    decideVersionBumps: (bumps, autoBackfill) => {
      for (const b of bumps)
        pending.push({
          kind: "version-bump",
          description: `version bump of ${b.from.name} → ${b.to.name}`,
        });
      return Promise.resolve(bumps.map(() => ({ backfill: autoBackfill, dropOld: true })));
    },
  };
  return { port, pending };
};
