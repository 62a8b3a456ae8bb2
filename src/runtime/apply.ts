import type { ClickHousePort } from "../adapters/clickhouse";
import { MooseError, errorText, isMooseError } from "../errors";
import { alreadyPresent, applyDelta } from "../core/fold";
import { describeDelta, isTopicDelta } from "../core/deltas";
import type { KafkaPort } from "../adapters/kafka";
import { applyTopicDelta } from "./apply-topic";
import { olapStateHash } from "../core/hash";
import type { InfraMap } from "../core/infra-map";
import { lifecycleViolation } from "../core/lifecycle";
import { renderDelta } from "../core/render-sql";
import { revertFailedColumnChange } from "./failed-mutation";
import type { Journal } from "./journal";
import type { StoredMigration } from "./migration-store";

/** Progress of one file, reported to the UI as it happens. */
export type ApplyEvent =
  | { kind: "plan"; total: number; unapplied: number }
  | { kind: "file-start"; id: string; deltas: number; resumed: boolean }
  | {
      kind: "delta";
      id: string;
      index: number;
      total: number;
      description: string;
      skipped: boolean;
    }
  | { kind: "file-done"; id: string };

export interface ApplyFileInput {
  migration: StoredMigration;
  /** State the file applies to; mutated as deltas are folded in. */
  state: InfraMap;
  /** Desired state from code, for the lifecycle re-check. */
  code: InfraMap;
  /** Delta indexes already journaled as done (resume). */
  opsDone: Set<number>;
  journal: Journal;
  ch: ClickHousePort;
  /** Present when the project has topics; topic deltas run through it. */
  kafka?: KafkaPort;
  onEvent: (e: ApplyEvent) => void;
}

/** Applies one committed file: journal `started`, each delta then `op_done i`, finally `applied`. */
export const applyFile = async (input: ApplyFileInput): Promise<void> => {
  const { migration, state, journal, ch } = input;
  const file = migration.file;
  const base = {
    migration_id: file.id,
    parent_state_hash: file.parent_state_hash,
    file_checksum: migration.checksum,
  };
  for (const [i, delta] of file.deltas.entries()) {
    // Records of adopted objects change nothing: no rule applies to them.
    if (alreadyPresent(state, delta)) continue;
    const violation = lifecycleViolation(delta, state, input.code);
    if (violation !== null) {
      throw new MooseError(
        "LIFECYCLE_VIOLATION",
        `Migration '${file.id}' delta ${i + 1} (${describeDelta(delta)}) is not allowed: ${violation}`,
        {
          hint: "The table's lifecycle changed after the file was written. Regenerate the migration, or change the lifecycle back if the drop is intended.",
        },
      );
    }
  }
  const resumed = input.opsDone.size > 0;
  input.onEvent({ kind: "file-start", id: file.id, deltas: file.deltas.length, resumed });
  await journal.append({
    ...base,
    event: "started",
    op_index: -1,
    state_hash: "",
    detail: resumed ? "resume" : "",
  });
  for (const [i, delta] of file.deltas.entries()) {
    const description = describeDelta(delta);
    const skip = input.opsDone.has(i);
    // A create of an object that is already there as recorded (an adopted object) is a no-op.
    const present = !skip && alreadyPresent(state, delta);
    input.onEvent({
      kind: "delta",
      id: file.id,
      index: i + 1,
      total: file.deltas.length,
      description,
      skipped: skip || present,
    });
    if (present) {
      await journal.append({
        ...base,
        event: "op_done",
        op_index: i,
        state_hash: "",
        detail: `${description} (already present)`,
      });
      continue;
    }
    if (!skip) {
      try {
        if (isTopicDelta(delta)) {
          if (!input.kafka)
            throw new MooseError(
              "KAFKA_CONFIG_INVALID",
              `Migration '${file.id}' has a topic delta (${description}) but the streaming engine is off`,
              {
                hint: "Set [features] streaming_engine = true in moose.config.toml (and point redpanda_config.broker at the broker).",
              },
            );
          await applyTopicDelta(input.kafka, delta);
        }
        for (const statement of renderDelta(delta, state)) {
          await ch.command(statement.sql, {
            waitForMutation: statement.waitsForMutation,
            ...(statement.database !== undefined ? { database: statement.database } : {}),
          });
        }
      } catch (e) {
        if (delta.type === "ModifyTableColumn") {
          const reverted = await revertFailedColumnChange(ch, delta, state, e).catch(
            () => undefined,
          );
          if (reverted) {
            await journal
              .append({
                ...base,
                event: "failed",
                op_index: i,
                state_hash: "",
                detail: reverted.reason,
              })
              .catch(() => undefined);
            throw new MooseError(
              "TYPE_CHANGE_FAILED",
              `Migration '${file.id}' failed at delta ${i + 1}/${file.deltas.length} (${description}): ClickHouse cannot convert the existing data of column '${delta.after_column.name}' in '${delta.table_id}':
  ${reverted.reason}
` +
                (reverted.restored
                  ? `The failed mutation${reverted.killed.length === 1 ? "" : "s"} (${reverted.killed.join(", ") || "none left"}) ${reverted.killed.length === 1 ? "was" : "were"} killed and the column is back to its previous type; no data was changed.`
                  : `The failed mutation(s) ${reverted.killed.join(", ")} were killed, but putting the column back failed: check it by hand.`),
              {
                hint: "Convert in steps instead: add a new column, backfill it with a RawSql delta using a tolerant cast (e.g. toInt64OrNull), then rename the columns and drop the old one.",
                details: {
                  migration: file.id,
                  failedDelta: i + 1,
                  completed: i,
                  killedMutations: reverted.killed,
                  restored: reverted.restored,
                },
              },
            );
          }
        }
        const reason = errorText(e);
        await journal
          .append({ ...base, event: "failed", op_index: i, state_hash: "", detail: reason })
          .catch(() => undefined);
        const resumeHint =
          i === 0 && input.opsDone.size === 0
            ? "No change of this file was made. Fix the cause and run `moose migrate` again."
            : `Deltas 1..${i} are applied and journaled; the next \`moose migrate\` resumes at delta ${i + 1} once the cause is fixed.`;
        // Kafka's own failures keep their code (unreachable, auth, refused) and hint.
        const kafkaFailure = isMooseError(e) && isTopicDelta(delta) ? e : undefined;
        throw new MooseError(
          kafkaFailure?.code ?? "APPLY_FAILED",
          `Migration '${file.id}' failed at delta ${i + 1}/${file.deltas.length} (${description}):\n  ${reason}`,
          {
            hint: kafkaFailure?.hint ? `${kafkaFailure.hint} ${resumeHint}` : resumeHint,
            details: { migration: file.id, failedDelta: i + 1, completed: i },
          },
        );
      }
      await journal.append({
        ...base,
        event: "op_done",
        op_index: i,
        state_hash: "",
        detail: description,
      });
    }
    applyDelta(state, delta);
  }
  await journal.append({
    ...base,
    event: "applied",
    op_index: file.deltas.length,
    state_hash: olapStateHash(state),
    detail: "",
  });
  input.onEvent({ kind: "file-done", id: file.id });
};
