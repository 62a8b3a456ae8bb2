#!/usr/bin/env node
// First: TypeScript loads only when a model is compiled.
import "./lazy-typescript";
import { parseResolutions } from "./commands/resolve-steps";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ExitCode, MooseError, errorText, filesystemError, isMooseError } from "./errors";
import { maskSecrets } from "./config/url";
import { installInterruptHandlers } from "./runtime/interrupt";
import type * as GenerateCommand from "./commands/generate";
import type * as MigrateCommand from "./commands/migrate";
import type * as DevCommand from "./commands/dev";
import type { GlobalOptions } from "./commands/context";
import { previewDecisions } from "./commands/decisions";
import { createDecisions, type DecisionFlags } from "./ui/decisions";
import type { DecisionPort } from "./commands/decisions";
import { devEventPrinter } from "./ui/dev";
import { createOutput, type Output } from "./ui/output";
import {
  applyEventPrinter,
  renderGenerate,
  renderMigrate,
  renderStatus,
  renderValidate,
} from "./ui/render";
import { TOOL_VERSION } from "./version";
import { NOT_AVAILABLE } from "./sdk/inert";

// Each command's module is loaded when the command runs: `moose generate` does not load the
// migrate and dev machinery, nor `--help` any of it.
/* eslint-disable @typescript-eslint/no-require-imports */
const generateCommand = () => require("./commands/generate") as typeof GenerateCommand;
const migrateCommand = () => require("./commands/migrate") as typeof MigrateCommand;
const devCommand = () => require("./commands/dev") as typeof DevCommand;
/* eslint-enable @typescript-eslint/no-require-imports */

interface CommonFlags extends DecisionFlags {
  clickhouseUrl?: string;
  kafkaBroker?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Whether the URL came from MOOSE_CLICKHOUSE_CONFIG__URL (commander maps it to the flag). */
const urlFromEnv = (flags: CommonFlags): boolean =>
  flags.clickhouseUrl !== undefined &&
  !process.argv.some((a) => a === "--clickhouse-url" || a.startsWith("--clickhouse-url="));

const globalOptions = (flags: CommonFlags): GlobalOptions => ({
  root: process.cwd(),
  clickhouseUrl: flags.clickhouseUrl,
  ...(urlFromEnv(flags) ? { clickhouseUrlFromEnv: true } : {}),
  ...(flags.kafkaBroker !== undefined ? { kafkaBroker: flags.kafkaBroker } : {}),
  env: process.env,
});
const interactive = () => process.stdin.isTTY === true && process.stdout.isTTY === true;

/** A repeatable list of file ids: `--x a,b --x c.yaml` → [a, b, c]. */
const fileIds = (v: string, prev: string[] | undefined): string[] => [
  ...(prev ?? []),
  ...v
    .split(",")
    .map((x) => x.trim().replace(/\.ya?ml$/, ""))
    .filter((x) => x !== ""),
];

/** migrate's options that only a run applying files takes (the other modes exclude them). */
const APPLY_ONLY = ["acceptDataLoss", "acceptChanged", "waitLock", "resolve", "mutationTimeout"];

/** `--wait-lock` with no value: long enough for a typical deploy's migration, short of a CI timeout. */
const DEFAULT_WAIT_LOCK_S = 600;

let output: Output = createOutput(process.argv.includes("--json"));

/** Commander's refusal (unknown flag or command, missing or invalid value, conflict) as USAGE. */
const usageFromCommander = (e: CommanderError): MooseError => {
  const words = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const known = ["generate", "g", "plan", "pl", "migrate", "mg", "dev", "d"];
  const first = words[0] !== undefined && known.includes(words[0]) ? words[0] : undefined;
  const sub =
    (first === "generate" || first === "g") && (words[1] === "migration" || words[1] === "m")
      ? `${first} ${words[1]}`
      : first;
  return new MooseError("USAGE", e.message.replace(/^error: /, ""), {
    hint: `Run \`moose ${sub !== undefined ? `${sub} ` : ""}--help\` for the commands and options.`,
    exitCode: ExitCode.Usage,
  });
};

/** The single top-level error handler: one clear message, a hint, a documented exit code. */
const fail = (e: unknown): never => {
  // A file-system error no store wrapped (a permission, a full disk) is the user's to fix,
  // never reported as a bug.
  const known = isMooseError(e) ? e : filesystemError(e, "access");
  const err = isMooseError(known)
    ? known
    : new MooseError("INTERNAL", `Unexpected error: ${errorText(e)}`, {
        hint: "This is a bug in the tool; set MOOSE_DEBUG=1 for a stack trace and report it.",
      });
  if (process.env.MOOSE_DEBUG === "1" && e instanceof Error)
    process.stderr.write(`${e.stack ?? ""}\n`);
  const message = maskSecrets(err.message);
  if (output.json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: err.code, message, hint: err.hint, exitCode: err.exitCode, details: err.details } }, null, 2)}\n`,
    );
  } else {
    process.stderr.write(`Error [${err.code}]: ${message}\n`);
    if (err.hint) process.stderr.write(`Hint: ${err.hint}\n`);
  }
  process.exit(err.exitCode);
};

const run =
  <F extends CommonFlags>(fn: (flags: F) => Promise<void>) =>
  async (flags: F) => {
    output = createOutput(
      flags.json === true,
      process.stdout,
      process.stderr,
      flags.verbose === true,
    );
    try {
      await fn(flags);
    } catch (e) {
      fail(e);
    }
    // Timers or sockets the user's modules opened while loading must not keep the command
    // alive once it is done.
    process.stdout.write("", () => process.exit(process.exitCode ?? 0));
  };

// A model module that calls an inert SDK function at load time without awaiting it leaves a
// rejected promise behind; that is not an error of the command. Anything else is.
process.on("unhandledRejection", (reason) => {
  if (reason instanceof Error && reason.name === NOT_AVAILABLE) return;
  // Under moose dev such a promise comes from the project's modules run on a save: it is
  // reported and dev keeps watching (its own failures are events, never rejections).
  if (devStop.active) {
    output.warn(
      `Warning: a promise in the project's code was rejected and not handled: ${maskSecrets(errorText(reason))} (moose dev keeps watching)`,
    );
    return;
  }
  fail(reason);
});

/**
 * How `moose dev` is asked to stop: Ctrl-C, SIGTERM, Ctrl-C inside a prompt, or its output
 * gone (a closed pipe). Before dev has started, the request waits for the start to finish.
 */
const devStop = {
  /** moose dev is running (a rejected promise of the project's code must not end it). */
  active: false,
  requested: false,
  /** Aborts a question on screen, so the cycle waiting on it ends. */
  prompts: new AbortController(),
  run: undefined as (() => void) | undefined,
  request(): void {
    if (this.requested) return;
    this.requested = true;
    this.prompts.abort();
    // A stop that hangs (a long query in the embedded engine) ends the process anyway.
    setTimeout(() => process.exit(0), 5_000).unref();
    this.run?.();
  },
};

/**
 * In `moose dev`, Ctrl-C while a question is on screen reaches the prompt, not the process:
 * the prompt ends with ExitPromptError, which means "stop" (the cycle is cancelled).
 */
const stopOnPromptExit = (port: DecisionPort): DecisionPort => ({
  known: (pending) => port.known(pending),
  ask: async (pending) => {
    try {
      return await port.ask(pending);
    } catch (e) {
      if (e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortPromptError")) {
        devStop.request();
        throw new MooseError("DECISION_NEEDED", "Cancelled", { exitCode: ExitCode.DecisionNeeded });
      }
      throw e;
    }
  },
});

const program = new Command()
  .name("moose")
  .description("Schema migrations for ClickHouse tables declared in Moose TypeScript models")
  .version(TOOL_VERSION)
  .exitOverride()
  // Commander's own message is rendered by `fail` (one `Error [USAGE]` line and a hint), not
  // printed with the whole help text after it.
  .configureOutput({ outputError: () => undefined });

const urlOption = () =>
  new Option(
    "--clickhouse-url <url>",
    "target ClickHouse: http(s)://, clickhouse:// or chdb://<path>",
  ).env("MOOSE_CLICKHOUSE_CONFIG__URL");
const jsonOption = () => new Option("--json", "machine-readable output on stdout");
const verboseOption = () =>
  new Option(
    "--verbose",
    "show every TypeScript warning from loading the project, not the first 3",
  );
const kafkaOption = () =>
  new Option(
    "--kafka-broker <host:port>",
    "Kafka/Redpanda bootstrap broker(s), comma-separated (overrides [redpanda_config] broker)",
  );

const addGenerate = (cmd: Command, preview: boolean) =>
  cmd
    .addOption(urlOption())
    .addOption(kafkaOption())
    .addOption(jsonOption())
    .addOption(verboseOption())
    .option("--yes-all", "accept every decision (destructive operations, renames, version bumps)")
    .option("--yes-destructive", "accept destructive operations (drops, recreates)")
    .option("--yes-rename", "accept detected column renames")
    .option(
      "--hints <file|json>",
      "answers for non-interactive runs, e.g. '{\"destructive\": true}'",
    )
    .option("--no-auto-backfill-sql", "version bumps: do not copy rows into the new table")
    .action(
      run<CommonFlags & { save?: boolean; description?: string; autoBackfillSql?: boolean }>(
        async (flags) => {
          const autoBackfill = flags.autoBackfillSql !== false;
          // `moose plan` is read-only: it never asks, it lists what generate would ask.
          const answering = createDecisions(
            flags,
            process.env,
            output,
            !preview && interactive(),
            autoBackfill,
          );
          // Plan takes the answers already given (flags, hints) and asks for nothing else.
          const decisions = preview
            ? {
                known: (pending: Parameters<typeof answering.known>[0]) => answering.known(pending),
                ask: (pending: Parameters<typeof previewDecisions.ask>[0]) =>
                  previewDecisions.ask(pending),
              }
            : answering;
          const generated = await generateCommand().generateMigration(
            {
              ...globalOptions(flags),
              save: flags.save === true,
              description: flags.description,
              preview,
              autoBackfill,
            },
            decisions,
          );
          renderGenerate(generated, output, process.cwd());
        },
      ),
    );

const generate = program.command("generate").alias("g").description("generate artifacts");
addGenerate(
  generate
    .command("migration")
    .alias("m")
    .description("diff the code against the migrated state; with --save write the next delta file")
    .option("--save", "write the file under migrations/ (otherwise print it)")
    .option("-m, --description <text>", "description and file-name slug"),
  false,
);
addGenerate(
  program
    .command("plan")
    .alias("pl")
    .description(
      "read-only preview of what `generate migration` would produce against a live target",
    ),
  true,
);

program
  .command("migrate")
  .alias("mg")
  .description("apply every committed migration file not yet applied, in id order, exactly once")
  .addOption(urlOption())
  .addOption(kafkaOption())
  .addOption(jsonOption())
  .addOption(verboseOption())
  // The modes exclude each other: a second one would be ignored silently otherwise.
  .addOption(
    new Option(
      "--validate",
      "offline check of the files (fold, conflicts); needs no server",
    ).conflicts(["status", "breakLock", ...APPLY_ONLY]),
  )
  .addOption(
    new Option(
      "--status",
      "show applied / pending / drift without changing anything (exit 4 if not up to date)",
    ).conflicts(["breakLock", ...APPLY_ONLY]),
  )
  .addOption(
    new Option("--break-lock", "release a migration lock left by a dead process").conflicts([
      ...APPLY_ONLY,
    ]),
  )
  .addOption(
    new Option(
      "--wait-lock [seconds]",
      `wait for another run's lock instead of failing (default ${DEFAULT_WAIT_LOCK_S} s)`,
    ).argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || v.trim() === "")
        throw new InvalidArgumentError("expected a number of seconds (0 or more)");
      return n;
    }),
  )
  .addOption(
    new Option(
      "--mutation-timeout <seconds>",
      "stop following a delta's mutation after this long (it keeps running; nothing is reverted; default: no limit)",
    ).argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || v.trim() === "")
        throw new InvalidArgumentError("expected a number of seconds (more than 0)");
      return n;
    }),
  )
  .option(
    "--accept-changed <id>",
    "record the changed content of an applied file as intended (repeatable, or comma-separated)",
    fileIds,
  )
  .addOption(
    new Option(
      "--accept-data-loss <file-id>",
      "apply this file although its type changes lose values the new types cannot hold (repeatable, or comma-separated)",
    ).argParser(fileIds),
  )
  .addOption(
    new Option(
      "--resolve <file-id:step done|rerun...>",
      "say what became of a step whose outcome is unknown (STEP_OUTCOME_UNKNOWN): done journals it without running it, rerun runs it again (repeatable)",
    ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
  )
  .action(
    run<
      CommonFlags & {
        validate?: boolean;
        status?: boolean;
        breakLock?: boolean;
        waitLock?: number | true;
        acceptChanged?: string[];
        acceptDataLoss?: string[];
        resolve?: string[];
        mutationTimeout?: number;
      }
    >(async (flags) => {
      const opts = globalOptions(flags);
      if (flags.validate)
        return renderValidate(await migrateCommand().validateMigrations(opts), output);
      if (flags.breakLock) {
        const r = await migrateCommand().breakLock(opts);
        output.line(
          r.broken ? `Released the lock held by ${r.holder ?? "unknown"}` : "No lock is held",
        );
        return output.result(r);
      }
      if (flags.status) {
        const r = await migrateCommand().migrationStatus(opts);
        renderStatus(r, output);
        if (r.pending.length > 0 || r.drift.length > 0 || r.unmigrated.length > 0)
          process.exitCode = ExitCode.StatusPendingOrDrift;
        return;
      }
      const waitLockS = flags.waitLock === true ? DEFAULT_WAIT_LOCK_S : (flags.waitLock ?? 0);
      // Ctrl-C / SIGTERM: finish the statement in flight, journal, release the lock, exit
      // 130 / 143 (INTERRUPTED); a second signal exits at once.
      installInterruptHandlers((signal) =>
        output.warn(
          `${signal} received: stopping after the statement in flight (send it again to exit at once)...`,
        ),
      );
      renderMigrate(
        await migrateCommand().migrate(opts, applyEventPrinter(output), {
          waitLockMs: waitLockS * 1000,
          ...(flags.acceptChanged ? { acceptChanged: flags.acceptChanged } : {}),
          ...(flags.acceptDataLoss ? { acceptDataLoss: flags.acceptDataLoss } : {}),
          ...(flags.resolve ? { resolve: parseResolutions(flags.resolve) } : {}),
          ...(flags.mutationTimeout !== undefined
            ? { mutationTimeoutMs: flags.mutationTimeout * 1000 }
            : {}),
        }),
        output,
      );
    }),
  );

program
  .command("dev")
  .alias("d")
  .description(
    "watch the models: apply each save to a local ClickHouse (served over HTTP) and keep migrations/pending.yaml current",
  )
  .addOption(
    new Option(
      "--clickhouse-url <url>",
      "the local database (default: the embedded engine at .moose/clickhouse); never the config's target",
    ),
  )
  .addOption(
    new Option(
      "--port <n>",
      "port of the ClickHouse HTTP endpoint on 127.0.0.1 (default: [clickhouse_config] host_port, 18123)",
    ).argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535)
        throw new InvalidArgumentError("expected a port number (0-65535)");
      return n;
    }),
  )
  .addOption(jsonOption())
  .addOption(verboseOption())
  .option("--yes-all", "apply every change without asking (drops, recreates, renames)")
  .option("--yes-destructive", "apply destructive changes (drops, recreates) without asking")
  .option("--yes-rename", "accept detected column renames without asking")
  .action(
    run<CommonFlags & { port?: number }>(async (flags) => {
      // Ctrl-C / SIGTERM: stop watching, close the endpoint and the database, exit 0; also
      // while dev is starting (it stops as soon as the start is done). A second one forces it.
      devStop.active = true;
      const onSignal = () => (devStop.requested ? process.exit(0) : devStop.request());
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      // Nobody reads the output any more (`moose dev | head`): stop rather than crash.
      for (const stream of [process.stdout, process.stderr])
        stream.on("error", (e: NodeJS.ErrnoException) => {
          if (e.code === "EPIPE") devStop.request();
        });
      const decisions = createDecisions(
        flags,
        process.env,
        output,
        interactive(),
        true,
        devStop.prompts.signal,
      );
      const handle = await devCommand().startDev(
        { ...globalOptions(flags), ...(flags.port !== undefined ? { port: flags.port } : {}) },
        stopOnPromptExit(decisions),
        devEventPrinter(output),
      );
      await new Promise<void>((resolve) => {
        devStop.run = () => void handle.stop().then(resolve, resolve);
        if (devStop.requested) devStop.run();
      });
    }),
  );

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // Help and version requests end with code 0; anything else is a usage error.
    if (e.exitCode === 0) process.exit(0);
    fail(usageFromCommander(e));
  }
  fail(e);
});
