import type { ClickHousePort } from "../adapters/clickhouse";
import {
  countedLosses,
  lossChecks,
  type CountedLoss,
  type TableLossCheck,
} from "../core/data-safety";
import type { Delta } from "../core/deltas";
import type { InfraMap } from "../core/infra-map";
import { quoteString } from "../core/sql-quote";
import { ExitCode, MooseError, errorText } from "../errors";

/*
 * The data-safety precheck, I/O part: one query per table the checks name (whatever the number
 * of columns), run before a file's first delta by `migrate` and with a live target by
 * `generate` / `moose plan` (the risks shown).
 */

/** Runs each table's one counting query. */
export const countLosses = async (
  ch: ClickHousePort,
  checks: readonly TableLossCheck[],
): Promise<CountedLoss[]> => {
  const out: CountedLoss[] = [];
  for (const check of checks) {
    const [row] = await ch.query<Record<string, unknown>>(check.sql);
    out.push(...countedLosses(check, row));
  }
  return out;
};

/** Row counts of tables (one catalog query), by the names the risks use. */
export const tableRows = async (
  ch: ClickHousePort,
  tables: readonly { table: string; physical: string }[],
): Promise<Map<string, number>> => {
  if (tables.length === 0) return new Map();
  const rows = await ch
    .query<{ t: string; n: string | number | null }>(
      `SELECT concat(database, '.', name) AS t, total_rows AS n FROM system.tables WHERE concat(database, '.', name) IN (${tables.map((t) => quoteString(t.physical)).join(", ")})`,
    )
    .catch(() => []);
  const byPhysical = new Map(rows.map((r) => [r.t, r.n === null ? undefined : Number(r.n)]));
  return new Map(
    tables.flatMap((t) => {
      const n = byPhysical.get(t.physical);
      return n === undefined ? [] : [[t.table, n] as const];
    }),
  );
};

export interface PrecheckInput {
  ch: ClickHousePort;
  fileId: string;
  deltas: readonly Delta[];
  /** The state before the file (its tables are what the database holds now). */
  state: InfraMap;
  /** Deltas that will run (not journaled as done, not already in effect). */
  willRun: (index: number) => boolean;
  nameOf?: (tableId: string) => string;
  /** The target flag to repeat in the suggested commands. */
  targetFlag?: string;
}

/**
 * Counts the values the file's type changes would lose and stops the file (DATA_LOSS_RISK)
 * before any delta runs when a count is not zero. Returns every counted loss (for the journal).
 */
export const precheckDataLoss = async (input: PrecheckInput): Promise<CountedLoss[]> => {
  const checks = lossChecks(input.deltas, input.state, input.willRun, input.nameOf);
  if (checks.length === 0) return [];
  const counted = await countLosses(input.ch, checks).catch((e: unknown) => {
    // Nothing is known about the data: the file does not start on a guess.
    throw new MooseError(
      "DATA_LOSS_RISK",
      `Migration '${input.fileId}' was not started: counting the values its type changes would lose failed: ${errorText(e).split("\n")[0]}`,
      {
        hint: `Check the database is reachable and run \`moose migrate${input.targetFlag ?? ""}\` again; to apply without this check: \`moose migrate --accept-data-loss ${input.fileId}${input.targetFlag ?? ""}\`.`,
        cause: e,
      },
    );
  });
  const bad = counted.filter((l) => l.count > 0);
  if (bad.length > 0) throw dataLossError(input, bad);
  return counted;
};

const lossLine = (l: CountedLoss): string =>
  `  - delta ${l.delta + 1}: ${l.table}.${l.column} ${l.from} → ${l.to}: ${l.count} row(s) ${l.kind === "nulls" ? "hold NULL" : "hold values that do not fit"} (e.g. ${l.example ?? "?"}); ${l.reason}`;

const dataLossError = (input: PrecheckInput, bad: CountedLoss[]): MooseError => {
  const flag = input.targetFlag ?? "";
  const first = bad[0]!;
  return new MooseError(
    "DATA_LOSS_RISK",
    `Migration '${input.fileId}' would lose data; nothing of it was applied:\n${bad.map(lossLine).join("\n")}`,
    {
      hint:
        `Either fix the data first (e.g. \`SELECT * FROM ${first.physical} WHERE ${first.condition}\` finds the rows; UPDATE or DELETE them, or change the model so the type fits) and run \`moose migrate${flag}\` again, ` +
        `or accept the loss for this file: \`moose migrate --accept-data-loss ${input.fileId}${flag}\` (values that do not fit are then converted by ClickHouse: wrapped, truncated or rounded).`,
      exitCode: ExitCode.Error,
      details: {
        migration: input.fileId,
        losses: bad.map((l) => ({
          delta: l.delta + 1,
          table: l.table,
          column: l.column,
          from: l.from,
          to: l.to,
          kind: l.kind,
          count: l.count,
          example: l.example,
        })),
      },
    },
  );
};

/** `--accept-data-loss` ids must name files this run applies: a typo is said, not ignored. */
export const checkAcceptedIds = (
  accepted: readonly string[],
  pending: readonly string[],
  /** Checked first against every committed file (before connecting), then the pending ones. */
  which: "committed" | "pending" = "pending",
): void => {
  const unknown = accepted.filter((id) => !pending.includes(id));
  if (unknown.length === 0) return;
  throw new MooseError(
    "USAGE",
    `--accept-data-loss ${unknown.join(", ")}: no ${which} migration file has ${unknown.length === 1 ? "this id" : "these ids"}`,
    {
      hint:
        pending.length > 0
          ? `${which === "pending" ? "Pending" : "Committed"} files: ${pending.join(", ")}. Pass the id shown in the DATA_LOSS_RISK message (the file name without .yaml).`
          : which === "pending"
            ? "Every committed file is applied already: nothing to accept."
            : "There are no committed migration files.",
      exitCode: ExitCode.Usage,
    },
  );
};
