import path from "node:path";
import { revertFailedColumnChange } from "../runtime/failed-mutation";
import {
  clickhouseFailure,
  describeClickHouseFailure,
  serverErrorOf,
  type ClickHousePort,
} from "../adapters/clickhouse";
import { MooseError, errorText, isMooseError } from "../errors";
import { checkChain, conflictError } from "../core/chain";
import type { Answers, Decision } from "../core/decisions";
import { describeDelta, type Delta } from "../core/deltas";
import { applyDelta } from "../core/fold";
import { emptyInfraMap, tableNamer, type InfraMap } from "../core/infra-map";
import type { BlockedChange } from "../core/lifecycle";
import { withoutReplication } from "../core/local-engines";
import { pendingFile } from "../core/migration-file";
import type { Plan } from "../core/plan";
import { createModelLoader, type ModelLoader, type ModelSource } from "../model/model-loader";
import type { ModelWarning } from "../model/warnings";
import { runDelta } from "../runtime/apply";
import { readMigrations, writePending, type PendingWrite } from "../runtime/migration-store";
import {
  desiredState,
  loadProject,
  projectDiffOptions,
  type GlobalOptions,
  type ProjectContext,
} from "../commands/context";
import { answerWith, decidePlan, type DecidedPlan, type DecisionPort } from "../commands/decisions";
import { readLiveState } from "../commands/live-state";
import type { ChangeSet } from "./changes";
import { syncDevJournal } from "./journal-sync";

/** What became of pending.yaml in a cycle. */
export interface PendingState {
  pending: PendingWrite;
  /** Deltas in pending.yaml after the cycle (0: there is none). */
  pendingDeltas: number;
}

/** What one `moose dev` cycle did, for the UI. */
export type DevEvent =
  | {
      kind: "ready";
      /** The endpoint other programs connect to. */
      url: string;
      /** The local database (`chdb://.moose/clickhouse`, or the URL given). */
      local: string;
      database: string;
      user: string;
      watching: string;
    }
  | ({
      kind: "cycle";
      /** Project-relative paths (or `migrations/`, `moose.config.toml`) that started the cycle. */
      trigger: string[];
      /** What was applied to the local database. */
      changes: Delta[];
      /** Changes the lifecycle rules keep off the local database. */
      blocked: BlockedChange[];
      tableNames: Record<string, string>;
      ms: number;
      /** Where the cycle's time went (ms): loading the models, planning, applying, pending.yaml. */
      timings: { load: number; plan: number; apply: number; pending: number };
    } & PendingState)
  | ({
      kind: "skipped";
      trigger: string[];
      /** Decisions the change needs that nobody could answer, or that were refused. */
      decisions: Decision[];
      /**
       * `unanswered`: no terminal and no `--yes-*` flag; `refused`: a destructive change was
       * answered no; `cancelled`: a prompt was cancelled.
       */
      reason: "unanswered" | "refused" | "cancelled";
    } & PendingState)
  | {
      kind: "failed";
      trigger: string[];
      /** `load`: the models; `files`: migrations/; `config`; `apply`: the local database. */
      phase: "config" | "files" | "load" | "apply";
      error: MooseError;
    }
  | { kind: "warnings"; warnings: ModelWarning[] }
  /** Something the user should know that is not a failure (a setting that needs a restart). */
  | { kind: "notice"; message: string }
  | { kind: "stopped" };

export interface DevSessionOptions extends GlobalOptions {
  now?: () => Date;
}

const asMooseError = (e: unknown): MooseError =>
  isMooseError(e)
    ? e
    : new MooseError("INTERNAL", `Unexpected error: ${errorText(e)}`, {
        hint: "This is a bug in the tool; moose dev keeps watching. Set MOOSE_DEBUG=1 for a stack trace and report it.",
        cause: e,
      });

/** Keys the session cannot follow without a restart (databases, watched folder). */
const START_ONLY = new Set([
  "[clickhouse_config] db_name",
  "[clickhouse_config] additional_databases",
  "source_dir",
]);

/** Config keys read once at start (the endpoint, its login, the watched folders) that changed. */
const restartKeys = (before: ProjectContext, after: ProjectContext): string[] => {
  const pick = (c: ProjectContext) => ({
    "[clickhouse_config] host_port": c.config.clickhouse_config.host_port,
    "[clickhouse_config] user": c.config.clickhouse_config.user,
    "[clickhouse_config] password": c.config.clickhouse_config.password,
    "[clickhouse_config] db_name": c.defaultDb,
    "[clickhouse_config] additional_databases": c.config.clickhouse_config.additional_databases,
    source_dir: c.config.source_dir,
    "[watcher_config] ignore_patterns": c.config.watcher_config.ignore_patterns,
  });
  const [a, b] = [pick(before), pick(after)];
  return Object.keys(a).filter(
    (k) => JSON.stringify(a[k as keyof typeof a]) !== JSON.stringify(b[k as keyof typeof b]),
  );
};

/**
 * Answers kept across cycles: renames and version bumps (pending.yaml goes on showing what was
 * chosen). A destructive answer is never kept, yes or no: the same drop coming back later (a
 * field removed, re-added, removed again) is asked again.
 */
const keptAnswers = (plan: Plan, answers: Answers): Answers =>
  Object.fromEntries(
    Object.entries(answers).filter(
      ([id]) => !plan.decisions.some((d) => d.id === id && d.kind === "destructive"),
    ),
  );

/**
 * The long-lived state of `moose dev`: the project, the fold of the committed files, the code
 * and what the local database holds, each refreshed only when a change requires it (a model
 * change reloads the code; a change under migrations/ folds the files again; a config change
 * reads everything again). One cycle at a time (the watcher queues the next).
 *
 * A cycle: plan the local database → the code with the one planner (answers from the flags or
 * a prompt; without either the cycle is skipped and the next save asks again), apply it, then
 * plan the committed files → the code, exactly what `generate` would write, as pending.yaml.
 */
export class DevSession {
  private committed: InfraMap;
  private code: InfraMap | undefined;
  /** The local database as dev left it; undefined: read it again (boot, after a failure). */
  private local: InfraMap | undefined;
  private sqlKey: ((sql: string) => string) | undefined;
  private answers: Answers = {};
  /** Whether the journal of the local database lists the committed files as they are now. */
  private journalSynced = false;
  private lastWarnings = "";

  /** The config dev started with: some keys only take effect at start. */
  private readonly startedWith: ProjectContext;

  constructor(
    private ctx: ProjectContext,
    private readonly opts: DevSessionOptions,
    private readonly ch: ClickHousePort,
    private readonly decisions: DecisionPort,
    private readonly emit: (e: DevEvent) => void,
    /** One loader for the session: a save re-checks only what it can reach. */
    private readonly createLoader: (src: ModelSource) => ModelLoader = createModelLoader,
  ) {
    this.committed = emptyInfraMap(ctx.defaultDb);
    this.startedWith = ctx;
  }

  /**
   * What must be read again before the next cycle can plan: set by a change, cleared only by a
   * successful read, so a failed one (a corrupt file, a syntax error) is retried next time.
   */
  private stale = { config: true, files: true, code: true };

  get project(): ProjectContext {
    return this.ctx;
  }

  private fold(): InfraMap {
    const { state, conflicts } = checkChain(
      this.ctx.migrations.map((m) => m.file),
      this.ctx.defaultDb,
    );
    if (conflicts.length > 0) throw conflictError(conflicts, { conflicts });
    return state;
  }

  private triggerOf(changes: ChangeSet): string[] {
    if (changes.start === true) return ["start"];
    return [
      ...changes.models.map((f) => path.relative(this.ctx.root, f).split(path.sep).join("/")),
      ...(changes.migrations ? ["migrations/"] : []),
      ...(changes.config ? ["moose.config.toml"] : []),
    ];
  }

  /** One cycle. Never throws: every failure is an event and the loop goes on. */
  async cycle(changes: ChangeSet): Promise<void> {
    const started = performance.now();
    const trigger = this.triggerOf(changes);
    const fail = (phase: Extract<DevEvent, { kind: "failed" }>["phase"], e: unknown) =>
      this.emit({ kind: "failed", trigger, phase, error: asMooseError(e) });

    if (changes.config) this.stale = { config: true, files: true, code: true };
    if (changes.migrations) this.stale.files = true;
    if (changes.models.length > 0) this.stale.code = true;
    if (this.stale.config) {
      try {
        const ctx = loadProject(this.opts, { migrations: false });
        const needRestart = restartKeys(this.startedWith, ctx);
        // The databases and the watched folder are set up at start: until a restart the
        // session keeps the config it started with rather than plan into what is not there.
        const keep = needRestart.some((k) => START_ONLY.has(k));
        if (needRestart.length > 0)
          this.emit({
            kind: "notice",
            message: `moose.config.toml changed ${needRestart.join(", ")}: restart moose dev for ${needRestart.length === 1 ? "it" : "them"} to take effect (the endpoint, its login, the databases and the watched folders are set at start)${keep ? "; until then dev goes on with the config it started with" : ""}.`,
          });
        if (!keep) this.ctx = ctx;
        this.stale.config = false;
      } catch (e) {
        return fail("config", e);
      }
    }
    if (this.stale.files) {
      try {
        this.ctx.migrations = readMigrations(this.ctx.root);
        this.committed = this.fold();
        this.journalSynced = false;
        this.stale.files = false;
      } catch (e) {
        return fail("files", e);
      }
    }
    if (this.stale.code || this.code === undefined) {
      try {
        this.ctx.warnings = [];
        const changed = changes.models;
        // The session's loader keeps the compiler between saves; the one-shot model cache
        // would only add a write per save.
        this.code = desiredState(this.ctx, this.committed, (src) =>
          this.loaderFor({ ...src, cache: false }).load(changed),
        );
        this.stale.code = false;
      } catch (e) {
        return fail("load", e);
      }
      const shown = JSON.stringify(this.ctx.warnings);
      if (shown !== this.lastWarnings && this.ctx.warnings.length > 0)
        this.emit({ kind: "warnings", warnings: this.ctx.warnings });
      this.lastWarnings = shown;
    }
    const code = this.code;
    const loaded = performance.now();

    // pending.yaml follows the code whatever becomes of the local database this cycle (a
    // skipped decision, a change the local ClickHouse refuses): it is what `generate` writes.
    const keepPending = async (): Promise<PendingState | undefined> => {
      try {
        return await this.writePending(code);
      } catch (e) {
        fail("files", e);
        return undefined;
      }
    };

    let decided: DecidedPlan;
    let local: InfraMap;
    // Whether someone was asked this cycle (then a save meanwhile makes the answer stale).
    let asked = false;
    const port: DecisionPort = {
      known: (pending) => this.decisions.known(pending),
      ask: (pending) => {
        asked = true;
        return this.decisions.ask(pending);
      },
    };
    try {
      local = await this.localState(code);
      decided = await decidePlan(
        {
          committed: local,
          base: local,
          code: this.localCode(code),
          diff: projectDiffOptions(this.ctx, this.sqlKey ? { sqlKey: this.sqlKey } : {}),
          answers: this.answers,
          autoBackfill: true,
          approvedAt: this.now().toISOString(),
        },
        port,
        this.ch,
      );
    } catch (e) {
      if (isMooseError(e) && e.code === "DECISION_NEEDED") {
        const details = e.details as { decisions?: Decision[] } | undefined;
        const pending = await keepPending();
        if (pending)
          this.emit({
            kind: "skipped",
            trigger,
            decisions: details?.decisions ?? [],
            // Without a terminal the refusal lists every decision; a cancelled prompt lists none.
            reason: details?.decisions ? "unanswered" : "cancelled",
            ...pending,
          });
        return;
      }
      // The local database could not be read or planned; pending.yaml needs neither.
      await keepPending();
      return fail("apply", e);
    }
    this.answers = keptAnswers(decided.plan, decided.answers);
    if (decided.plan.refused.length > 0 || decided.pending.length > 0) {
      const pending = await keepPending();
      if (pending)
        this.emit({
          kind: "skipped",
          trigger,
          decisions: decided.plan.refused.length > 0 ? decided.plan.refused : decided.pending,
          reason: decided.plan.refused.length > 0 ? "refused" : "unanswered",
          ...pending,
        });
      return;
    }
    // Saved again while a question was on screen: the answer was about code that is gone.
    // The queued cycle plans the new code (asking again if still needed).
    if (asked && this.superseded()) {
      this.emit({ kind: "notice", message: "Saved again while asking: planning the new code." });
      return;
    }
    const planned = performance.now();

    const pending = await keepPending();
    if (!pending) return;
    const pendingAt = performance.now();
    let applied: Delta[];
    try {
      applied = await this.apply(decided.plan.changes, local, code);
      if (!this.journalSynced) await syncDevJournal(this.ch, this.ctx);
      this.journalSynced = true;
    } catch (e) {
      return fail("apply", e);
    }
    this.emit({
      kind: "cycle",
      trigger,
      changes: applied,
      blocked: decided.plan.blocked,
      tableNames: Object.fromEntries(
        applied.flatMap((d) =>
          "table_id" in d ? [[d.table_id, tableNamer(code)(d.table_id)]] : [],
        ),
      ),
      ...pending,
      ms: Math.round(performance.now() - started),
      timings: {
        load: Math.round(loaded - started),
        plan: Math.round(planned - loaded),
        pending: Math.round(pendingAt - planned),
        apply: Math.round(performance.now() - pendingAt),
      },
    });
  }

  /**
   * Whether saves arrived while this cycle waited (a question on screen): set by the watcher.
   * Such a cycle applies nothing; the queued one plans the new code.
   */
  superseded: () => boolean = () => false;

  /**
   * Someone changed the local database's schema (through the endpoint: the user's client,
   * `moose migrate` through dev): the next cycle reads it again instead of trusting its copy.
   */
  localChanged(): void {
    this.local = undefined;
    this.localGeneration++;
  }

  private localGeneration = 0;

  /** What the local database gets of the code: the embedded engine runs no replication. */
  private localCode(code: InfraMap): InfraMap {
    return this.ch.target.kind === "chdb" ? withoutReplication(code) : code;
  }

  private loader: { key: string; loader: ModelLoader } | undefined;

  /** The session's loader; a new one when the config moves the sources or the database. */
  private loaderFor(src: ModelSource): ModelLoader {
    const key = JSON.stringify(src);
    if (this.loader?.key !== key) {
      this.loader?.loader.dispose();
      this.loader = { key, loader: this.createLoader(src) };
    }
    return this.loader.loader;
  }

  /** The project files the models were last loaded from, wherever they are (for the watcher). */
  sourceFiles(): readonly string[] {
    return this.loader?.loader.stats?.files ?? [];
  }

  /** Releases what the session holds (the loader's program). */
  dispose(): void {
    this.loader?.loader.dispose();
    this.loader = undefined;
  }

  private now(): Date {
    return (this.opts.now ?? (() => new Date()))();
  }

  /** The local database's state: kept in memory between cycles, read from ClickHouse when unknown. */
  private async localState(code: InfraMap): Promise<InfraMap> {
    while (!this.local) {
      const generation = this.localGeneration;
      const live = await readLiveState(this.ctx, this.ch, this.committed, code);
      // Changed through the endpoint while being read: read it again.
      if (generation !== this.localGeneration) continue;
      // The state read back carries the recorded tables' cluster and engine; the embedded
      // engine holds neither (see localCode).
      this.local = this.ch.target.kind === "chdb" ? withoutReplication(live.state) : live.state;
      this.sqlKey = live.sqlKey;
    }
    // Topics are not applied locally (dev runs no broker): they go to pending.yaml only.
    this.local.topics = structuredClone(code.topics);
    return this.local;
  }

  /** Runs the changes on the local database, folding each into the kept state as it succeeds. */
  private async apply(changes: Delta[], local: InfraMap, code: InfraMap): Promise<Delta[]> {
    const nameOf = tableNamer(code, local);
    const done: Delta[] = [];
    for (const delta of changes) {
      try {
        await runDelta(
          { ch: this.ch, label: "moose dev", onEvent: () => undefined, nameOf },
          delta,
          local,
        );
      } catch (e) {
        // What the database holds is no longer known for sure: read it again next cycle.
        this.local = undefined;
        const reverted =
          delta.type === "ModifyTableColumn"
            ? await revertFailedColumnChange(this.ch, delta, local, e).catch(() => undefined)
            : undefined;
        const server = serverErrorOf(e);
        const why = server ? describeClickHouseFailure(clickhouseFailure(server)) : errorText(e);
        throw new MooseError(
          "APPLY_FAILED",
          `The local database refused ${describeDelta(delta, nameOf)}: ${why}` +
            (reverted?.restored ? " (the column keeps its previous type)" : "") +
            (done.length > 0 ? `; ${done.length} change(s) before it were applied` : ""),
          {
            hint: "pending.yaml follows the code all the same. Fix the model and save again: the next save plans from what the local database has.",
            cause: e,
          },
        );
      }
      applyDelta(local, delta);
      done.push(delta);
    }
    return done;
  }

  /**
   * pending.yaml: what `generate` would write from the committed files, with the answers given
   * so far in this session (and "yes" to the rest: the file is a preview; `generate` asks).
   */
  private async writePending(code: InfraMap): Promise<PendingState> {
    const { plan } = await decidePlan(
      {
        committed: this.committed,
        base: this.committed,
        code,
        diff: projectDiffOptions(this.ctx),
        answers: this.answers,
        autoBackfill: true,
        approvedAt: this.now().toISOString(),
      },
      answerWith(() => true),
      undefined,
    );
    const write = writePending(
      this.ctx.root,
      plan.deltas.length > 0 ? pendingFile(plan, this.now().toISOString()) : undefined,
    );
    return { pending: write, pendingDeltas: plan.deltas.length };
  }
}
