import { spawn, type ChildProcess } from "node:child_process";
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

/** Starts the built CLI's `moose dev` in `cwd` and waits for its first cycle. */
export const startDev = async (cwd: string, ...args: string[]): Promise<DevProcess> => {
  const child = spawn(process.execPath, [CLI, "dev", ...args], {
    cwd,
    env: cleanEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
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
    out: () => out,
    err: () => err,
    waitFor,
    stop: async (signal = "SIGINT") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
};
