import fs from "node:fs";
import { MooseError, ExitCode } from "../errors";
import type { DecisionPort } from "../commands/decisions";
import { action, type Output } from "./output";

export interface DecisionFlags {
  yesAll?: boolean;
  yesDestructive?: boolean;
  yesRename?: boolean;
  /** `--hints <file|json>`: answers for agents and CI, e.g. {"destructive": true}. */
  hints?: string;
}

interface Hints {
  destructive?: boolean;
  rename?: boolean;
  /** true: backfill (unless --no-auto-backfill-sql) and drop the old table. */
  version_bump?: boolean;
}

const readHints = (spec: string | undefined): Hints => {
  if (spec === undefined) return {};
  const text = spec.trim().startsWith("{")
    ? spec
    : fs.existsSync(spec)
      ? fs.readFileSync(spec, "utf8")
      : undefined;
  if (text === undefined)
    throw new MooseError("USAGE", `--hints: ${spec} is neither a JSON object nor a readable file`, {
      hint: "Example: --hints '{\"destructive\": true}'",
      exitCode: ExitCode.Usage,
    });
  try {
    return JSON.parse(text) as Hints;
  } catch {
    throw new MooseError("USAGE", "--hints is not valid JSON", {
      hint: "Example: --hints '{\"destructive\": true}'",
      exitCode: ExitCode.Usage,
    });
  }
};

const envOn = (env: NodeJS.ProcessEnv, name: string) =>
  env[name] === "1" || env[name]?.toLowerCase() === "true";

/** Answers decisions from flags, env, hints, or a prompt; without a TTY it exits 3 listing what is needed. */
export const createDecisions = (
  flags: DecisionFlags,
  env: NodeJS.ProcessEnv,
  out: Output,
  interactive: boolean,
): DecisionPort => {
  const hints = readHints(flags.hints);
  const acceptAll = flags.yesAll === true || envOn(env, "MOOSE_ACCEPT_ALL");
  const acceptDestructive =
    acceptAll ||
    flags.yesDestructive === true ||
    envOn(env, "MOOSE_ACCEPT_DESTRUCTIVE") ||
    hints.destructive === true;
  const acceptRename =
    acceptAll ||
    flags.yesRename === true ||
    envOn(env, "MOOSE_ACCEPT_RENAME") ||
    hints.rename === true;
  const acceptBumps = acceptAll || hints.version_bump === true;
  return {
    decideRenames: async (candidates) => {
      const list = candidates
        .map(
          (c) => `  - \`${c.tableName}\`.\`${c.from}\` → \`${c.to}\` (confidence: ${c.confidence})`,
        )
        .join("\n");
      if (acceptRename) {
        out.note(`${action("Rename", `Accepted ${candidates.length} column rename(s):`)}\n${list}`);
        return candidates.map(() => true);
      }
      // Refusing renames (or accepting destructive changes) means drop + add.
      if (hints.rename === false || flags.yesDestructive === true)
        return candidates.map(() => false);
      if (!interactive) {
        throw new MooseError(
          "DECISION_NEEDED",
          `Detected ${candidates.length} possible column rename(s) but running non-interactively.\n${list}`,
          {
            hint: "Re-run with --yes-rename (or MOOSE_ACCEPT_RENAME=1, or --hints '{\"rename\": true}') to rename; with --hints '{\"rename\": false}' to drop and add instead.",
            exitCode: ExitCode.DecisionNeeded,
            details: {
              decisions: [
                {
                  kind: "rename",
                  candidates,
                  answer_with: { hints: { rename: true } },
                },
              ],
            },
          },
        );
      }
      const { select } = await import("@inquirer/prompts");
      const answers: boolean[] = [];
      for (const [i, c] of candidates.entries()) {
        const choice = await select({
          message: `Rename (${i + 1}/${candidates.length}): \`${c.tableName}\`.\`${c.from}\` → \`${c.to}\` (confidence: ${c.confidence})`,
          choices: [
            { name: "rename", value: "rename" },
            { name: "drop + create (data in the column is lost)", value: "drop" },
            { name: "cancel", value: "cancel" },
          ],
        });
        if (choice === "cancel")
          throw new MooseError("DECISION_NEEDED", "Migration generation cancelled", {
            hint: "Nothing was written.",
            exitCode: ExitCode.DecisionNeeded,
          });
        answers.push(choice === "rename");
      }
      return answers;
    },
    decideVersionBumps: async (bumps, autoBackfill) => {
      const list = bumps
        .map(
          (b) =>
            `  - \`${b.from.name}\` (v${b.from.version ?? "none"}) → \`${b.to.name}\` (v${b.to.version ?? "none"})`,
        )
        .join("\n");
      out.note(`${action("Version bump", `Detected ${bumps.length} version bump(s):`)}\n${list}`);
      if (acceptBumps) {
        out.note(
          action(
            "",
            `Auto backfill=${autoBackfill ? "yes" : "no"}, old_table=Drop (auto-accepted)`,
          ),
        );
        return bumps.map(() => ({ backfill: autoBackfill, dropOld: true }));
      }
      if (!interactive) {
        throw new MooseError(
          "DECISION_NEEDED",
          `Detected ${bumps.length} version bump(s) but running non-interactively.\n${list}`,
          {
            hint: "Re-run with --yes-all or set MOOSE_ACCEPT_ALL=1 to auto-accept (backfill the new table, then drop the old one); add --no-auto-backfill-sql to skip the backfill.",
            exitCode: ExitCode.DecisionNeeded,
            details: {
              decisions: [
                {
                  kind: "version_bump",
                  bumps: list,
                  answer_with: { hints: { version_bump: true } },
                },
              ],
            },
          },
        );
      }
      const { confirm } = await import("@inquirer/prompts");
      const answers = [];
      for (const b of bumps) {
        const backfill =
          autoBackfill && b.backfillColumns !== null
            ? await confirm({
                message: `Backfill data from \`${b.from.name}\` into \`${b.to.name}\`?`,
                default: true,
              })
            : false;
        const keep = await confirm({
          message: `Keep old table \`${b.from.name}\`? (it stays until a later migration drops it)`,
          default: false,
        });
        answers.push({ backfill, dropOld: !keep });
      }
      return answers;
    },
    approveDestructive: async (summaries) => {
      const list = summaries.map((s) => `  - ${s}`).join("\n");
      if (acceptDestructive) {
        out.note(
          `${action("Destructive", `Auto-approved ${summaries.length} destructive operation(s) via override:`)}\n${list}`,
        );
        return true;
      }
      if (hints.destructive === false) return false;
      if (!interactive) {
        throw new MooseError(
          "DECISION_NEEDED",
          `Plan contains ${summaries.length} destructive operation(s) but running non-interactively.\n${list}`,
          {
            hint: "To proceed, re-run with --yes-destructive, set MOOSE_ACCEPT_DESTRUCTIVE=1, or pass --hints '{\"destructive\": true}'.",
            exitCode: ExitCode.DecisionNeeded,
            details: {
              decisions: [
                {
                  kind: "destructive",
                  operations: summaries,
                  answer_with: { hints: { destructive: true } },
                },
              ],
            },
          },
        );
      }
      out.note(
        `${action("DANGER", `The generated migration plan contains ${summaries.length} destructive operation(s) that may cause data loss:`)}\n${list}`,
      );
      const { confirm } = await import("@inquirer/prompts");
      return confirm({ message: "Proceed with destructive changes?", default: false });
    },
  };
};
