import path from "node:path";
import { classify, ignoreMatcher, isEmpty, merge, noChanges, type ChangeSet } from "./changes";

export interface WatchOptions {
  root: string;
  sourceDir: string;
  /** `[watcher_config] ignore_patterns`. */
  ignore: readonly string[];
  /**
   * Quiet time after the last event before a cycle starts. A file still being written sends
   * more events, each restarting it; a cycle that read it half-written is followed by another.
   */
  debounceMs: number;
  /** One cycle; never runs twice at once. */
  run: (changes: ChangeSet) => Promise<void>;
}

export interface Watcher {
  /** Whether changes are waiting for the next cycle. */
  hasQueued(): boolean;
  /**
   * Watches these files too (model sources outside `source_dir`: workspace packages, shared
   * folders); a change to one reloads the models.
   */
  track(files: readonly string[]): void;
  /** Queues changes and waits until the queue has run them (the boot cycle). */
  runNow(changes: ChangeSet): Promise<void>;
  /** Resolves when chokidar has scanned the tree (events before that are not missed: ignoreInitial). */
  ready: Promise<void>;
  /** Stops watching and waits for a running cycle to end. */
  close(): Promise<void>;
}

/**
 * Watches the project and runs one cycle at a time. Changes that arrive during a cycle are
 * gathered and run once after it (the run-again queue), so a burst of saves costs at most one
 * extra cycle and no save is lost.
 */
export const watchProject = async (opts: WatchOptions): Promise<Watcher> => {
  const { watch } = await import("chokidar");
  const ignored = ignoreMatcher(opts.ignore);
  let queued = noChanges();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  /** Model files outside the watched folders. */
  const extra = new Set<string>();

  const drain = async (): Promise<void> => {
    while (!isEmpty(queued) && !closed) {
      const changes = queued;
      queued = noChanges();
      await opts.run(changes);
    }
    running = undefined;
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      running ??= drain();
    }, opts.debounceMs);
  };
  const onEvent = (file: string) => {
    const abs = path.resolve(opts.root, file);
    const kind = extra.has(abs) ? "models" : classify(opts.root, opts.sourceDir, abs);
    if (kind === undefined) return;
    const change = noChanges();
    if (kind === "models") change.models.push(abs);
    else change[kind] = true;
    queued = merge(queued, change);
    schedule();
  };

  const watcher = watch(
    [
      path.join(opts.root, opts.sourceDir),
      path.join(opts.root, "migrations"),
      path.join(opts.root, "moose.config.toml"),
      path.join(opts.root, "tsconfig.json"),
      path.join(opts.root, "package.json"),
    ],
    {
      ignoreInitial: true,
      ignored: (p: string) => {
        const rel = path.relative(opts.root, p);
        return rel.split(path.sep).includes("node_modules") || (rel !== "" && ignored(rel));
      },
    },
  );
  for (const ev of ["add", "change", "unlink"] as const) watcher.on(ev, onEvent);
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  const sourceRoot = path.resolve(opts.root, opts.sourceDir) + path.sep;
  return {
    hasQueued: () => !isEmpty(queued),
    track: (files) => {
      const added = files.filter((f) => !f.startsWith(sourceRoot) && !extra.has(f));
      for (const f of added) extra.add(f);
      if (added.length > 0 && !closed) watcher.add(added);
    },
    ready,
    runNow: async (changes) => {
      queued = merge(queued, changes);
      await (running ??= drain());
    },
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
};
