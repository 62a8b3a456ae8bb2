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
