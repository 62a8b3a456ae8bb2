import { ExitCode, MooseError } from "../errors";
import type { MutationInfo } from "./mutations";

/**
 * Ctrl-C / SIGTERM during `moose migrate`: the first signal is a request — the statement in
 * flight finishes, the run stops at the next delta boundary (or while following a mutation),
 * journals what is done and releases the lock; the second exits at once (the next run takes
 * the lock over from a pid that is gone). The request is process-wide state because signals
 * are: only `moose migrate` installs the handlers.
 */
let requested: NodeJS.Signals | undefined;

export type InterruptSignal = "SIGINT" | "SIGTERM";

/** 128 + the signal's number, as shells report a process a signal ended. */
export const interruptExitCode = (signal: NodeJS.Signals): ExitCode =>
  signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted;

export interface Interruption {
  signal: NodeJS.Signals;
  /** Stopped between deltas: everything done is journaled. */
  atBoundary(label: string, delta: string): MooseError;
  /** Stopped while following a mutation: it keeps running on the server, nothing reverted. */
  duringMutation(running: readonly MutationInfo[]): MooseError;
}

const stopped = (signal: NodeJS.Signals, message: string, details: unknown): MooseError =>
  new MooseError(
    "INTERRUPTED",
    `Stopped by ${signal}: ${message} The migration lock was released.`,
    {
      hint: "Run `moose migrate` again to finish: it resumes at the first delta not journaled as done.",
      exitCode: interruptExitCode(signal),
      details,
    },
  );

/** The pending request, if a signal came. */
export const interrupted = (): Interruption | undefined => {
  const signal = requested;
  if (signal === undefined) return undefined;
  return {
    signal,
    atBoundary: (label, delta) =>
      stopped(
        signal,
        `migration '${label}' stopped before ${delta}; the deltas done are journaled.`,
        { migration: label },
      ),
    duringMutation: (running) =>
      stopped(
        signal,
        `stopped following ${running.map((m) => `mutation ${m.mutation_id} on ${m.database}.${m.table} (${m.partsToDo} part(s) to do)`).join(", ") || "a mutation"}; it keeps running on the server and was not reverted, and its delta is not journaled as done (the next \`moose migrate\` follows it to the end).`,
        { mutations: running },
      ),
  };
};

/** Throws the request as an error at a delta boundary. */
export const throwIfInterrupted = (label: string, delta: string): void => {
  const i = interrupted();
  if (i) throw i.atBoundary(label, delta);
};

/**
 * Installs the handlers: `onRequest` tells the user (first signal); a second signal exits with
 * the signal's code at once. Returns the uninstaller.
 */
export const installInterruptHandlers = (
  onRequest: (signal: NodeJS.Signals) => void,
): (() => void) => {
  const handler = (signal: NodeJS.Signals) => {
    if (requested !== undefined) process.exit(interruptExitCode(signal));
    requested = signal;
    onRequest(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
};
