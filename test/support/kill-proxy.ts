import http from "node:http";
import { spawn, type ChildProcess } from "node:child_process";
import { CLI, cleanEnv } from "./cli";

/**
 * A ClickHouse HTTP proxy that kills its client with SIGKILL at a chosen statement: the fault
 * injector of the crash suites. It sits between `moose migrate` and a shared ClickHouse (a
 * `moose dev` endpoint), records every statement it forwards, and can kill the process
 * - `before` the statement reaches the server (it never runs),
 * - `inflight`: right after forwarding it (the server runs it on its own, nobody waits),
 * - `after` the server answered, before the client hears of it (done, but never journaled).
 * Points are counted per class, so the lock's heartbeat or a retry does not shift them.
 */
export type StatementClass = "read" | "lock" | "journal" | "op_done" | "change";
export type KillMode = "before" | "inflight" | "after";

export interface RecordedStatement {
  cls: StatementClass;
  text: string;
}

export interface KillPoint {
  cls: StatementClass;
  /** 0-based among the statements of that class in this run. */
  index: number;
  mode: KillMode;
}

const READS = /^(select|show|exists|describe|desc|explain|with|check)\b/i;

export const classify = (text: string, journalTable: string): StatementClass => {
  const t = text.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, "");
  if (READS.test(t)) return "read";
  if (t.includes(`${journalTable}_lock_`)) return "lock";
  if (new RegExp(`^insert\\s+into\\s+\\S*${journalTable}\\b`, "i").test(t))
    return /'op_done'/.test(t) ? "op_done" : "journal";
  return "change";
};

export interface KillProxy {
  url: string;
  statements: RecordedStatement[];
  /** Kills `child` at `point` during its run; resolves when it was killed (or never). */
  arm(child: ChildProcess, point: KillPoint): void;
  killed(): boolean;
  reset(): void;
  close(): Promise<void>;
}

export const startKillProxy = async (
  upstream: string,
  journalTable: string,
): Promise<KillProxy> => {
  const target = new URL(upstream);
  let statements: RecordedStatement[] = [];
  let armed: { child: ChildProcess; point: KillPoint } | undefined;
  let didKill = false;
  const seen = new Map<StatementClass, number>();

  const kill = () => {
    if (!armed) return;
    armed.child.kill("SIGKILL");
    didKill = true;
    armed = undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://proxy");
      const text = `${url.searchParams.get("query") ?? ""}${url.searchParams.get("query") && body.length ? "\n" : ""}${req.method === "POST" ? body.toString("utf8") : ""}`;
      const cls = classify(text, journalTable);
      statements.push({ cls, text });
      const n = seen.get(cls) ?? 0;
      seen.set(cls, n + 1);
      const hit = armed && armed.point.cls === cls && armed.point.index === n;
      const mode = hit ? armed!.point.mode : undefined;
      if (mode === "before") {
        kill();
        res.destroy();
        return;
      }
      const forward = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          if (mode === "inflight") return up.resume();
          const parts: Buffer[] = [];
          up.on("data", (c: Buffer) => parts.push(c));
          up.on("end", () => {
            if (mode === "after") {
              kill();
              res.destroy();
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(Buffer.concat(parts));
          });
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(body);
      if (mode === "inflight") {
        kill();
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get statements() {
      return statements;
    },
    arm: (child, point) => {
      armed = { child, point };
    },
    killed: () => didKill,
    reset: () => {
      statements = [];
      armed = undefined;
      didKill = false;
      seen.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** `moose migrate` of the project at `root` against `url`, in its own process, its output collected. */
export const spawnMigrate = (root: string, url: string, ...args: string[]) => {
  const child = spawn(process.execPath, [CLI, "migrate", "--clickhouse-url", url, ...args], {
    cwd: root,
    env: cleanEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, exited };
};

/** `moose migrate` through the proxy, killed at `point` when given; its exit and output. */
export const migrateThrough = async (
  proxy: KillProxy,
  root: string,
  url: string,
  point?: KillPoint,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> => {
  proxy.reset();
  const run = spawnMigrate(root, url);
  if (point) proxy.arm(run.child, point);
  return { ...(await run.exited), out: run.out() };
};
