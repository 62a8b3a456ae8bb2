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
  return {
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
