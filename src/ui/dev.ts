import { maskSecrets } from "../config/url";
import { renderColumnType } from "../core/data-type";
import { describeDelta, type Delta } from "../core/deltas";
import type { Decision } from "../core/decisions";
import type { DevEvent, PendingState } from "../dev/session";
import type { Output } from "./output";
import { renderModelWarnings } from "./render";

/** One change as Moose's dev prints it inside a table line: `+ note: String`, `- old`, `~ ts: DateTime -> DateTime64(3)`. */
const columnPart = (d: Delta): string | undefined => {
  switch (d.type) {
    case "AddTableColumn":
      return `+ ${d.column.name}: ${renderColumnType(d.column)}`;
    case "DropTableColumn":
      return `- ${d.column_name}`;
    case "ModifyTableColumn": {
      const [a, b] = [renderColumnType(d.before_column), renderColumnType(d.after_column)];
      return `~ ${d.after_column.name}${a === b ? " (default, codec, comment…)" : `: ${a} -> ${b}`}`;
    }
    case "RenameTableColumn":
      return `~ ${d.before_name} -> ${d.after_name} (renamed)`;
    default:
      return undefined;
  }
};

/** `+ Table U`, `- View V`, `~ Table T: recreated …` for whole-object changes; else undefined. */
const objectLine = (d: Delta): string | undefined => {
  switch (d.type) {
    case "CreateTable":
    case "DropTable":
      return `${d.type === "CreateTable" ? "+" : "-"} Table ${d.table.name}`;
    case "RecreateTable":
      return `~ Table ${d.after.name}: recreated (rows copied)`;
    case "CreateView":
    case "DropView":
      return `${d.type === "CreateView" ? "+" : "-"} View ${d.view.name}`;
    case "CreateMaterializedView":
    case "DropMaterializedView":
      return `${d.type === "CreateMaterializedView" ? "+" : "-"} MaterializedView ${d.mv.name}`;
    default:
      return undefined;
  }
};

/**
 * The compact summary of a cycle: one line per object, column changes of a table on its line
 * (`~ Table Events: + note: String  - old  ~ ts: DateTime -> DateTime64(3)`).
 */
export const changeLines = (changes: readonly Delta[], names: Record<string, string>): string[] => {
  const nameOf = (id: string) => names[id] ?? id;
  const byTable = new Map<string, string[]>();
  const lines: string[] = [];
  for (const d of changes) {
    const part = columnPart(d);
    if (part !== undefined && "table_id" in d) {
      const key = nameOf(d.table_id);
      if (!byTable.has(key)) {
        byTable.set(key, []);
        lines.push(`\0${key}`);
      }
      byTable.get(key)!.push(part);
      continue;
    }
    const obj = objectLine(d);
    lines.push(obj ?? `~ ${describeDelta(d, nameOf)}`);
  }
  return lines.map((l) =>
    l.startsWith("\0") ? `~ Table ${l.slice(1)}: ${byTable.get(l.slice(1))!.join("  ")}` : l,
  );
};

/** The flag that answers these decisions: renames, drops and recreates, or (version bumps) all. */
const flagsFor = (decisions: readonly Decision[]): string => {
  const kinds = new Set(decisions.map((d) => d.kind));
  if (kinds.has("version-bump") || kinds.size > 1) return "--yes-all";
  return kinds.has("rename") ? "--yes-rename" : "--yes-destructive";
};

const pendingText = (e: PendingState): string => {
  switch (e.pending) {
    case "written":
      return `migrations/pending.yaml written (${e.pendingDeltas} change(s) not committed yet)`;
    case "removed":
      return "migrations/pending.yaml removed (nothing left to commit)";
    case "unchanged":
      return e.pendingDeltas === 0
        ? "nothing pending"
        : `migrations/pending.yaml unchanged (${e.pendingDeltas} change(s))`;
  }
};

/** Prints `moose dev`'s events: text for people, one JSON object per line with `--json`. */
export const devEventPrinter =
  (out: Output) =>
  (e: DevEvent): void => {
    if (out.json) {
      const { kind } = e;
      out.event(
        kind === "failed"
          ? {
              ...e,
              error: {
                code: e.error.code,
                message: maskSecrets(e.error.message),
                hint: e.error.hint,
              },
            }
          : e,
      );
      return;
    }
    const when = out.paint("dim", new Date().toTimeString().slice(0, 8));
    const trigger = (t: readonly string[]) =>
      t.length > 0 ? ` ${out.paint("dim", `(${t.join(", ")})`)}` : "";
    switch (e.kind) {
      case "ready":
        out.line(
          `moose dev: watching ${e.watching}\n` +
            `  local ClickHouse: ${e.local} (database ${e.database})\n` +
            `  ClickHouse HTTP:  ${e.url} (user ${e.user})\n` +
            "  Ctrl-C to stop.",
        );
        return;
      case "cycle": {
        const lines = changeLines(e.changes, e.tableNames);
        const paint = (l: string) =>
          out.paint(l.startsWith("+") ? "green" : l.startsWith("-") ? "red" : "yellow", l);
        out.line(
          `${when} ${lines.length === 0 ? "no change to the local database" : `applied to the local database in ${e.ms} ms:`}${trigger(e.trigger)}`,
        );
        for (const l of lines) out.line(`  ${paint(l)}`);
        for (const b of e.blocked)
          out.line(`  ${out.paint("dim", `kept out by lifecycle: ${b.reason}`)}`);
        out.line(`  ${pendingText(e)}`);
        return;
      }
      case "skipped": {
        const head = {
          refused: "Destructive changes rejected — skipping this change cycle.",
          cancelled: "Cancelled — skipping this change cycle.",
          unanswered:
            "This change needs a decision and nobody can be asked (not a terminal) — skipping this change cycle.",
        }[e.reason];
        const next = {
          refused:
            'Tip: to keep the data, create a new version of the table (version: "2.0") instead.',
          cancelled: "Save again to be asked again, or undo the change in the code.",
          unanswered: `To apply such changes without a prompt, restart with \`moose dev ${flagsFor(e.decisions)}\`; or undo the change in the code.`,
        }[e.reason];
        out.warn(
          `${when} ${out.paint("yellow", head)}${trigger(e.trigger)}\n` +
            e.decisions.map((d) => `  - ${d.description}\n    id: ${d.id}\n`).join("") +
            `  The local database is unchanged; the next save tries again. ${pendingText(e)}.\n  ${next}`,
        );
        return;
      }
      case "failed":
        out.warn(
          `${when} ${out.paint("red", `Error [${e.error.code}]`)}${trigger(e.trigger)}: ${maskSecrets(e.error.message)}` +
            (e.error.hint ? `\n  Hint: ${e.error.hint}` : "") +
            `\n  Still watching${e.phase === "apply" ? " (pending.yaml follows the code all the same)" : "; pending.yaml is unchanged"}.`,
        );
        return;
      case "warnings":
        renderModelWarnings(e.warnings, out);
        return;
      case "notice":
        out.warn(`${when} ${out.paint("yellow", maskSecrets(e.message))}`);
        return;
      case "stopped":
        out.line("moose dev stopped.");
        return;
    }
  };
