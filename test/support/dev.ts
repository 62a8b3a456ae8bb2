import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { CLI, cleanEnv } from "./cli";

/** A `moose dev` running as a separate process, as a user starts it. */
export interface DevProcess {
  child: ChildProcess;
  /** The endpoint URL dev printed. */
  url: string;
  out(): string;
  err(): string;
  /** Waits until stdout + stderr match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends the signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The exit code, once it has exited by itself. */
  exited: Promise<number | null>;
}

export const waitUntil = async (
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Whether util-linux's `script` is here to give `moose dev` a terminal. */
export const hasScript = (): boolean => spawnSync("script", ["--version"]).status === 0;

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * Starts the built CLI's `moose dev` in `cwd` and waits for its first cycle. `terminal`: under
 * a pseudo-terminal (util-linux `script`), so it prompts; `write` then types into it.
 */
export const startDev = async (
  cwd: string,
  ...args: string[]
): Promise<DevProcess & { write(text: string): void }> => {
  const terminal = args[0] === "--terminal";
  const rest = terminal ? args.slice(1) : args;
  const child = terminal
    ? spawn(
        "script",
        // `exec`: the shell `script` starts ($SHELL, else dash) must not stay between the
        // terminal and moose dev — a dash left waiting dies of the Ctrl-C itself (exit 130).
        [
          "-qfec",
          `exec ${[process.execPath, CLI, "dev", ...rest].map(quote).join(" ")}`,
          "/dev/null",
        ],
        { cwd, env: { ...cleanEnv, TERM: "dumb" }, stdio: ["pipe", "pipe", "pipe"] },
      )
    : spawn(process.execPath, [CLI, "dev", ...rest], {
        cwd,
        env: cleanEnv,
        stdio: ["ignore", "pipe", "pipe"],
      });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code: number | null) => resolve(code)),
  );
  const all = () => out + err;
  const waitFor = (re: RegExp, timeoutMs = 60_000) =>
    waitUntil(
      `${re} in moose dev's output:\n${all()}`,
      () => {
        if (child.exitCode !== null)
          throw new Error(`moose dev exited ${child.exitCode}:\n${all()}`);
        return re.test(all());
      },
      timeoutMs,
    );
  // The endpoint is printed at start; the boot cycle's report follows.
  await waitFor(/ClickHouse HTTP:\s+(http:\/\/\S+)/);
  await waitFor(
    /(applied to the local database|no change to the local database|Error \[|skipping)/,
  );
  const url = /ClickHouse HTTP:\s+(http:\/\/\S+)/.exec(all())![1]!;
  return {
    child,
    url,
    write: (text) => child.stdin?.write(text),
    exited,
    out: () => out,
    err: () => err,
    waitFor,
    stop: async (signal = "SIGINT") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
};
