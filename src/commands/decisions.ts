/**
 * Decisions a command may need from a person (or an agent via --hints). Commands ask through
 * this port; the UI layer answers with a prompt, flags, environment or hints.
 */
export interface DecisionPort {
  /** Approve the destructive operations listed (Moose's summary lines)? */
  approveDestructive(summaries: readonly string[]): Promise<boolean>;
}
