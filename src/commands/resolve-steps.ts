/*
 * `moose migrate --resolve <file-id>:<step> done|rerun`: the user's answer to
 * STEP_OUTCOME_UNKNOWN, journaled (`op_resolved`) under the lock before anything runs.
 */
import { ExitCode, MooseError } from "../errors";
import type { StoredMigration } from "../runtime/migration-store";
import type { AppliedState } from "./applied-state";

export interface Resolution {
  fileId: string;
  /** 1-based, as messages show it. */
  step: number;
  action: "done" | "rerun";
}

const usage = (message: string, hint: string) =>
  new MooseError("USAGE", message, { hint, exitCode: ExitCode.Usage });

const FORM =
  "Write it as `--resolve <file-id>:<step> done` or `--resolve <file-id>:<step> rerun` (the STEP_OUTCOME_UNKNOWN error names both).";

/** `["a:3", "done", "b:1", "rerun"]` (commander's collected values) → resolutions. */
export const parseResolutions = (raw: readonly string[]): Resolution[] => {
  const out: Resolution[] = [];
  for (let k = 0; k < raw.length; k += 2) {
    const spec = raw[k]!;
    const action = raw[k + 1];
    const m = /^(.+):(\d+)$/.exec(spec.trim());
    if (!m) throw usage(`--resolve ${spec}: expected <file-id>:<step>`, FORM);
    if (action !== "done" && action !== "rerun")
      throw usage(
        `--resolve ${spec}: expected done or rerun after it, got ${action ?? "nothing"}`,
        FORM,
      );
    out.push({ fileId: m[1]!.replace(/\.ya?ml$/, ""), step: Number(m[2]), action });
  }
  return out;
};

/** Offline: each names a committed file and one of its RawSql steps. */
export const checkResolutions = (
  resolutions: readonly Resolution[],
  migrations: readonly StoredMigration[],
): void => {
  for (const r of resolutions) {
    const m = migrations.find((x) => x.file.id === r.fileId);
    if (!m)
      throw usage(
        `--resolve ${r.fileId}:${r.step}: '${r.fileId}' is not a migration file in migrations/`,
        "Name the file and step the STEP_OUTCOME_UNKNOWN error gave.",
      );
    const delta = m.file.deltas[r.step - 1];
    if (!delta)
      throw usage(
        `--resolve ${r.fileId}:${r.step}: '${r.fileId}' has ${m.file.deltas.length} step(s)`,
        "Name the step the STEP_OUTCOME_UNKNOWN error gave (1-based).",
      );
    if (delta.type !== "RawSql")
      throw usage(
        `--resolve ${r.fileId}:${r.step}: step ${r.step} is a ${delta.type}, not a RawSql step`,
        "Only a hand-written RawSql step is resolved by hand; other steps resume by themselves.",
      );
  }
};

/**
 * Under the lock: each must be a step the journal has as started with no outcome; journals the
 * answer and updates the in-memory progress the apply resumes from.
 */
export const recordResolutions = async (
  resolutions: readonly Resolution[],
  live: AppliedState,
  migrations: readonly StoredMigration[],
): Promise<void> => {
  for (const r of resolutions) {
    const progress = live.journalState.incomplete.get(r.fileId);
    const started = progress?.inFlight.get(r.step - 1);
    if (!progress || !started)
      throw usage(
        `--resolve ${r.fileId}:${r.step}: step ${r.step} of '${r.fileId}' has no statement waiting for an answer in the journal; nothing was run`,
        "Run `moose migrate` without --resolve: it stops with STEP_OUTCOME_UNKNOWN naming the step when one needs an answer.",
      );
    const m = migrations.find((x) => x.file.id === r.fileId)!;
    await live.journal.append({
      migration_id: r.fileId,
      event: "op_resolved",
      op_index: r.step - 1,
      parent_state_hash: m.file.parent_state_hash,
      state_hash: "",
      file_checksum: progress.checksum,
      detail: `${r.action} ${started.statement} (--resolve; ${started.detail})`,
    });
    progress.inFlight.delete(r.step - 1);
    progress.resumeAt.set(r.step - 1, started.statement + (r.action === "done" ? 1 : 0));
  }
};
