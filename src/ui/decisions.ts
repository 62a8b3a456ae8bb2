import fs from "node:fs";
import { MooseError, ExitCode, onDisk } from "../errors";
import type { DecisionPort } from "../commands/decisions";
import type { Answer, Answers, Decision, DestructiveDecision } from "../core/decisions";
import { action, type Output } from "./output";

export interface DecisionFlags {
  yesAll?: boolean;
  yesDestructive?: boolean;
  yesRename?: boolean;
  /** `--hints <file|json>`: answers for agents and CI, e.g. {"destructive": true}. */
  hints?: string;
}

type BumpHint = boolean | { backfill?: boolean; drop_old?: boolean };

/**
 * `--hints`: blanket answers per kind, and answers per decision id as `moose plan --json` and a
 * refused `generate --json` list them: {"decisions": {"rename:Bar.a->b": true, …}}.
 */
interface Hints {
  destructive?: boolean;
  rename?: boolean;
  /** true: backfill (unless --no-auto-backfill-sql) and drop the old table. */
  version_bump?: BumpHint;
  decisions?: Record<string, BumpHint>;
}

const HINTS_EXAMPLE = `Example: --hints '{"destructive": true}' or --hints '{"decisions": {"rename:Bar.old->new": true}}'`;

const readHints = (spec: string | undefined): Hints => {
  if (spec === undefined) return {};
  const text = spec.trim().startsWith("{")
    ? spec
    : fs.existsSync(spec)
      ? onDisk("read the --hints file", spec, () => fs.readFileSync(spec, "utf8"))
      : undefined;
  if (text === undefined)
    throw new MooseError("USAGE", `--hints: ${spec} is neither a JSON object nor a readable file`, {
      hint: HINTS_EXAMPLE,
      exitCode: ExitCode.Usage,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MooseError("USAGE", "--hints is not valid JSON", {
      hint: HINTS_EXAMPLE,
      exitCode: ExitCode.Usage,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new MooseError("USAGE", "--hints must be a JSON object", {
      hint: HINTS_EXAMPLE,
      exitCode: ExitCode.Usage,
    });
  const bad = hintProblems(parsed as Record<string, unknown>);
  if (bad.length > 0)
    throw new MooseError("USAGE", `--hints: ${bad.join("; ")}`, {
      hint: HINTS_EXAMPLE,
      exitCode: ExitCode.Usage,
    });
  return parsed;
};

const isBumpHint = (v: unknown): boolean =>
  typeof v === "boolean" ||
  (typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.entries(v).every(
      ([k, x]) => (k === "backfill" || k === "drop_old") && typeof x === "boolean",
    ));

/** Every value is an answer the tool understands: a wrong one is said, never ignored. */
const hintProblems = (h: Record<string, unknown>): string[] => {
  const out: string[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k === "destructive" || k === "rename") {
      if (typeof v !== "boolean")
        out.push(`"${k}" must be true or false, found ${JSON.stringify(v)}`);
    } else if (k === "version_bump") {
      if (!isBumpHint(v))
        out.push(`"version_bump" must be true, false or {"backfill": bool, "drop_old": bool}`);
    } else if (k === "decisions") {
      if (typeof v !== "object" || v === null || Array.isArray(v))
        out.push(`"decisions" must be an object of id → answer`);
      else
        for (const [id, a] of Object.entries(v))
          if (!isBumpHint(a))
            out.push(
              `decision "${id}": the answer must be true, false or {"backfill": bool, "drop_old": bool}`,
            );
    } else out.push(`unknown key "${k}" (known: destructive, rename, version_bump, decisions)`);
  }
  return out;
};

const envOn = (env: NodeJS.ProcessEnv, name: string) =>
  env[name] === "1" || env[name]?.toLowerCase() === "true";

const bumpAnswer = (hint: BumpHint, autoBackfill: boolean): Answer =>
  typeof hint === "boolean"
    ? hint
      ? { backfill: autoBackfill, dropOld: true }
      : { backfill: false, dropOld: false }
    : { backfill: hint.backfill ?? autoBackfill, dropOld: hint.drop_old ?? true };

/** `--hints` JSON answering every decision given with `answer` (shown when we cannot ask). */
const hintsObject = (pending: readonly Decision[]) => ({
  decisions: Object.fromEntries(pending.map((d) => [d.id, true])),
});
const hintsFor = (pending: readonly Decision[]): string => JSON.stringify(hintsObject(pending));

/** One line per decision: what it is, its id, and for a destructive change its rows and SQL. */
const decisionLines = (pending: readonly Decision[], out: Output): string =>
  pending
    .map((d) => {
      const head = `  - ${d.kind === "destructive" ? out.paint("red", d.description) : out.paint("yellow", d.description)}`;
      const id = out.paint("dim", `    id: ${d.id}`);
      if (d.kind !== "destructive") return `${head}\n${id}`;
      const rows = d.rows === undefined ? "" : `    rows now: ${d.rows.toLocaleString("en-US")}\n`;
      const sql = (d.sql ?? []).map((s) => out.paint("dim", `    ${s}`)).join("\n");
      return `${head}\n${id}\n${rows}${sql}`;
    })
    .join("\n");

/**
 * Answers decisions from flags, environment and `--hints` (per kind or per decision id), then
 * by asking on a terminal; without one, refuses with every pending decision listed at once.
 */
export const createDecisions = (
  flags: DecisionFlags,
  env: NodeJS.ProcessEnv,
  out: Output,
  interactive: boolean,
  autoBackfill = true,
  /** Ends an open question (moose dev stopping): the prompt rejects with AbortPromptError. */
  signal?: AbortSignal,
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

  const fromFlags = (d: Decision): Answer | undefined => {
    const explicit = hints.decisions?.[d.id];
    if (explicit !== undefined)
      return d.kind === "version-bump" ? bumpAnswer(explicit, autoBackfill) : explicit === true;
    switch (d.kind) {
      case "rename":
        if (acceptRename) return true;
        // Refusing renames (or accepting destructive changes) means drop + add.
        return hints.rename === false || flags.yesDestructive === true ? false : undefined;
      case "destructive":
        if (acceptDestructive) return true;
        return hints.destructive === false ? false : undefined;
      case "version-bump":
        if (acceptAll) return bumpAnswer(true, autoBackfill);
        return hints.version_bump !== undefined
          ? bumpAnswer(hints.version_bump, autoBackfill)
          : undefined;
    }
  };

  const known = (pending: readonly Decision[]): Answers => {
    const answers: Record<string, Answer> = {};
    for (const d of pending) {
      const a = fromFlags(d);
      if (a !== undefined) answers[d.id] = a;
    }
    const approved = pending.filter(
      (d): d is DestructiveDecision => d.kind === "destructive" && answers[d.id] === true,
    );
    if (approved.length > 0)
      out.note(
        `${action("Destructive", `Approved ${approved.length} destructive operation(s) (flags or hints):`)}\n${decisionLines(approved, out)}`,
      );
    const renamed = pending.filter((d) => d.kind === "rename" && answers[d.id] === true);
    if (renamed.length > 0)
      out.note(
        `${action("Rename", `Accepted ${renamed.length} column rename(s):`)}\n${decisionLines(renamed, out)}`,
      );
    return answers;
  };

  const ask = async (pending: readonly Decision[]): Promise<Answers> => {
    if (!interactive) {
      const kinds = [...new Set(pending.map((d) => d.kind))].join(", ");
      // An id in --hints that matches nothing pending is most likely a typo: say so.
      const unknown = Object.keys(hints.decisions ?? {}).filter(
        (id) => !pending.some((d) => d.id === id),
      );
      throw new MooseError(
        "DECISION_NEEDED",
        `The plan needs ${pending.length} decision(s) (${kinds}) but nobody can be asked (not a terminal):\n${decisionLines(pending, out)}` +
          (unknown.length > 0
            ? `\n--hints answered id(s) this plan does not have: ${unknown.join(", ")}`
            : ""),
        {
          hint: `Answer them all in one run: --hints '${hintsFor(pending)}' (change any true to false; a refused rename becomes drop + add). Or by kind: --yes-rename, --yes-destructive, --yes-all (also MOOSE_ACCEPT_RENAME=1, MOOSE_ACCEPT_DESTRUCTIVE=1, MOOSE_ACCEPT_ALL=1). \`moose plan --json\` lists them without failing.`,
          exitCode: ExitCode.DecisionNeeded,
          details: { decisions: pending, answer_with: { hints: hintsObject(pending) } },
        },
      );
    }
    const { confirm, select } = await import("@inquirer/prompts");
    const promptContext = signal !== undefined ? { signal } : {};
    // Renames first: a refused one turns into a column drop, decided next.
    const renames = pending.filter((d) => d.kind === "rename");
    if (renames.length > 0) {
      const answers: Record<string, Answer> = {};
      for (const [i, d] of renames.entries()) {
        const choice = await select(
          {
            message: `Rename (${i + 1}/${renames.length}): ${d.table}.${d.from} → ${d.to}? (confidence ${d.confidence})`,
            choices: [
              { name: "rename", value: "rename" },
              { name: "drop + add (data in the column is lost)", value: "drop" },
              { name: "cancel", value: "cancel" },
            ],
          },
          promptContext,
        );
        if (choice === "cancel")
          throw new MooseError("DECISION_NEEDED", "Migration generation cancelled", {
            hint: "Nothing was written.",
            exitCode: ExitCode.DecisionNeeded,
          });
        answers[d.id] = choice === "rename";
      }
      return answers;
    }
    const bumps = pending.filter((d) => d.kind === "version-bump");
    if (bumps.length > 0) {
      out.note(`${action("Version bump", `Detected ${bumps.length} version bump(s):`)}`);
      const answers: Record<string, Answer> = {};
      for (const d of bumps) {
        const backfill =
          autoBackfill && d.canBackfill
            ? await confirm(
                {
                  message: `Backfill data from \`${d.from}\` into \`${d.to}\`?`,
                  default: true,
                },
                promptContext,
              )
            : false;
        const keep = await confirm(
          {
            message: `Keep old table \`${d.from}\`? (it stays until a later migration drops it)`,
            default: false,
          },
          promptContext,
        );
        answers[d.id] = { backfill, dropOld: !keep };
      }
      return answers;
    }
    out.note(
      `${action(out.paint("red", "DANGER"), `The plan contains ${pending.length} destructive operation(s) that may lose data:`)}\n${decisionLines(pending, out)}`,
    );
    const yes = await confirm(
      { message: "Proceed with destructive changes?", default: false },
      promptContext,
    );
    return Object.fromEntries(pending.map((d) => [d.id, yes]));
  };

  return { known, ask };
};
