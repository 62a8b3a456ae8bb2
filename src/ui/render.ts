import type { GenerateResult } from "../commands/generate";
import type { MigrateResult, StatusResult, ValidateResult } from "../commands/migrate";
import { describeDelta, destructiveSummary } from "../core/deltas";
import { describeDrift } from "../core/reconcile";
import { warningText, type ModelWarning } from "../model/warnings";
import type { ApplyEvent } from "../runtime/apply";
import { action, type Output } from "./output";

/** How many model warnings are shown without `--verbose`. */
const WARNINGS_SHOWN = 3;

/**
 * Type errors outside the models (API handlers, workflows, …) and tsconfig problems: counted,
 * the first few shown, every one with `--verbose`. They never stop the command.
 */
export const renderModelWarnings = (all: readonly ModelWarning[], out: Output): void => {
  for (const w of all) if (w.kind === "unmanaged") out.warn(action("Warning", w.message));
  const warnings = all.filter((w) => w.kind !== "unmanaged");
  if (warnings.length === 0) return;
  const shown = out.verbose ? warnings : warnings.slice(0, WARNINGS_SHOWN);
  out.warn(
    action(
      "Warning",
      `${warnings.length} TypeScript problem(s) outside the models (they do not affect the migration plan):`,
    ),
  );
  for (const w of shown) out.warn(`  ${warningText(w)}`);
  if (shown.length < warnings.length)
    out.warn(`  … and ${warnings.length - shown.length} more (run with --verbose to see all)`);
};

export const renderGenerate = (r: GenerateResult, out: Output, cwd: string): void => {
  renderModelWarnings(r.warnings, out);
  out.line(
    action(
      r.base === "live" ? "Remote Plan" : "Plan",
      r.base === "live"
        ? "Comparing local project code with deployed infrastructure"
        : "Comparing local project code with the committed migrations",
    ),
  );
  for (const t of r.unsupportedTables)
    out.line(action("Warning", `Table ${t} is not managed: left untouched`));
  if (r.blocked.length > 0) {
    out.line(action("Lifecycle", `${r.blocked.length} change(s) blocked by lifecycle policy:`));
    for (const b of r.blocked) out.line(`  - ${b.reason}`);
  }
  if (r.status === "no-changes") {
    out.line(action("No Changes", "No changes detected"));
  } else {
    const names = (id: string) => r.tableNames[id] ?? id;
    out.line(`Changes (${r.deltas.length} delta(s)):\n`);
    r.deltas.forEach((d, i) => {
      const text = `  ${i + 1}. ${describeDelta(d, names)}`;
      if (i < r.records)
        out.line(out.paint("dim", `${text} (recorded: already so in the database; not run)`));
      else out.line(destructiveSummary(d) !== null ? out.paint("red", text) : text);
      const risk = r.risks.find((x) => x.delta === i + 1);
      if (risk && risk.level !== "safe")
        for (const reason of risk.reasons)
          out.line(
            `     ${out.paint(risk.level === "danger" ? "red" : "yellow", `${risk.level}: ${reason}`)}`,
          );
    });
    const worst = r.risks.some((x) => x.level === "danger")
      ? "danger"
      : r.risks.some((x) => x.level === "caution")
        ? "caution"
        : "safe";
    out.line(
      `\nRisk: ${worst} (${(["safe", "caution", "danger"] as const).map((l) => `${r.risks.filter((x) => x.level === l).length} ${l}`).join(", ")})`,
    );
    if (r.status === "dry-run" && !r.preview) out.line(`\n${r.yaml ?? ""}`);
    for (const n of r.checks.notChecked) out.line(action("Not checked", n));
    if (r.checks.checked.length > 0)
      out.line(
        action("Checked", `ClickHouse accepts ${r.checks.checked.length} new or changed object(s)`),
      );
    if (r.path)
      out.line(
        action(
          "Migration",
          `Written to ./${r.path.startsWith(cwd) ? r.path.slice(cwd.length + 1) : r.path} (${r.deltas.length} delta(s))`,
        ),
      );
    if (!r.preview)
      out.line(action("Migration", r.path ? "generated" : "not saved (add --save to write it)"));
  }
  if (r.pendingDecisions.length > 0) {
    out.line(
      action(
        "Decisions",
        `\`moose generate migration\` will ask for ${r.pendingDecisions.length} (answer with --yes-* or --hints '{"decisions": {"<id>": true}}'):`,
      ),
    );
    for (const d of r.pendingDecisions) {
      out.line(
        `  - ${d.kind}: ${d.kind === "destructive" ? out.paint("red", d.description) : d.description}`,
      );
      out.line(
        out.paint(
          "dim",
          `    id: ${d.id}${d.kind === "destructive" && d.rows !== undefined ? ` (rows now: ${d.rows})` : ""}`,
        ),
      );
    }
  }
  out.result(r);
};

/** A mutation is shown once it has run this long (most finish in milliseconds). */
const MUTATION_SHOWN_AFTER_MS = 2_000;

/**
 * Progress lines of a followed mutation: on a terminal when the parts left change (at most
 * every second) or every 5 s; elsewhere (CI logs) every 30 s.
 */
const mutationThrottle = (tty: boolean) => {
  let last: { at: number; parts: number; key: string } | undefined;
  return (e: Extract<ApplyEvent, { kind: "mutation" }>): boolean => {
    if (e.elapsedMs < MUTATION_SHOWN_AFTER_MS) return false;
    const key = `${e.id} ${e.table} ${e.mutationIds.join(",")}`;
    const since = last && last.key === key ? e.elapsedMs - last.at : Infinity;
    const due = tty
      ? since >= 5_000 || (since >= 1_000 && last!.parts !== e.partsToDo)
      : since >= 30_000;
    if (due) last = { at: e.elapsedMs, parts: e.partsToDo, key };
    return due;
  };
};

export const applyEventPrinter = (out: Output, tty = process.stdout.isTTY === true) => {
  const showMutation = mutationThrottle(tty);
  return (e: ApplyEvent): void => {
    switch (e.kind) {
      case "plan":
        out.line(`Found ${e.total} migration delta file(s) (${e.unapplied} unapplied)`);
        return;
      case "file-start":
        out.line(
          `\n▶ ${e.resumed ? "Resuming" : "Applying"} migration '${e.id}' (${e.deltas} delta(s))...`,
        );
        return;
      case "delta":
        out.line(`  [${e.index}/${e.total}] ${e.description}${e.skipped ? " (already done)" : ""}`);
        return;
      case "copy":
        out.line(`        copying ${e.rows} row(s) of '${e.table}' into its new schema...`);
        return;
      case "mutation":
        if (showMutation(e))
          out.line(
            `        mutation ${e.mutationIds.join(", ") || "(queued)"} on '${e.table}': ${e.partsToDo} part(s) to do, ${Math.round(e.elapsedMs / 1000)} s elapsed...`,
          );
        return;
      case "file-done":
        out.line(`  ✓ Migration '${e.id}' applied successfully`);
        return;
      case "lock-wait":
        out.line(
          `Waiting up to ${Math.round(e.waitMs / 1000)} s for the migration lock held by ${e.holder}...`,
        );
        return;
      case "lock-takeover":
        out.line(`Took over the migration lock from ${e.from}`);
        return;
    }
  };
};

export const renderMigrate = (r: MigrateResult, out: Output): void => {
  renderModelWarnings(r.warnings, out);
  for (const id of r.accepted)
    out.line(`Recorded the changed content of applied migration '${id}' (--accept-changed)`);
  for (const id of r.unchangedAccepts)
    out.line(`Applied migration '${id}' is unchanged: nothing to accept`);
  if (r.total === 0) out.line("No migration files found in ./migrations/");
  else if (r.applied.length === 0)
    out.line(`All ${r.total} migration delta file(s) already applied`);
  else out.line("\n✓ All migration deltas applied successfully");
  out.line(action("Migrate", "Successfully executed migration plan"));
  out.result(r);
};

export const renderValidate = (r: ValidateResult, out: Output): void => {
  out.line(`Validating ${r.files.length} migration file(s)...\n`);
  for (const f of r.files) {
    out.line(`  ${f.id} (${f.deltas.length} delta(s))`);
    for (const d of f.deltas) out.line(`    - ${d}`);
  }
  out.line(
    `\n✓ Fold succeeded: ${r.tables} table(s), ${r.views} view(s), ${r.materializedViews} MV(s)${r.topics > 0 ? `, ${r.topics} topic(s)` : ""}\n`,
  );
  out.line("✓ All migrations valid, no conflicts detected");
  if (r.history)
    out.line(
      `✓ ${r.history.applied} applied file(s) unchanged since they were applied to ${r.history.target}`,
    );
  if (r.historyNotChecked)
    out.line(
      `History not checked (${r.historyNotChecked}; MOOSE_CLICKHOUSE_CONFIG__URL): pass --clickhouse-url to require it`,
    );
  out.line(action("Validate", `${r.files.length} migration file(s) validated successfully`));
  out.result(r);
};

export const renderStatus = (r: StatusResult, out: Output): void => {
  renderModelWarnings(r.warnings, out);
  out.line(`Applied: ${r.applied.length}`);
  for (const id of r.applied) out.line(`  ✓ ${id}`);
  out.line(`Pending: ${r.pending.length}`);
  const interrupted = r.lockHeldBy
    ? ` (in progress: lock held by ${r.lockHeldBy})`
    : " (interrupted: will resume)";
  for (const id of r.pending) out.line(`  • ${id}${r.incomplete.includes(id) ? interrupted : ""}`);
  if (r.lockHeldBy) out.line(`A migration is running now (lock held by ${r.lockHeldBy})`);
  if (r.drift.length > 0) {
    out.line("Drift between the migration log and the database:");
    for (const d of r.drift) out.line(describeDrift(d));
  }
  if (r.unmigrated.length > 0) {
    out.line("Code changes not covered by a committed migration:");
    for (const u of r.unmigrated) out.line(`  - ${u}`);
  }
  if (r.pending.length === 0 && r.drift.length === 0 && r.unmigrated.length === 0)
    out.line("✓ Up to date");
  out.result(r);
};
