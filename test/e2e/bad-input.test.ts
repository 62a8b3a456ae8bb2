import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv } from "../support/cli";

/*
 * The bad-input corpus: every way a user can hand the CLI something wrong, run through the
 * built CLI. Each case must end with its documented exit code, exactly one `Error [CODE]`
 * line naming the file or resource, a `Hint:` line, no stack trace, no secret, and nothing
 * applied (no migration file written, no database created, no DDL sent). Table-driven: the
 * projects are made once, the cases run with limited parallelism, then each is asserted.
 */

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "moose-bad-input-"));
const SECRET = "s3cr3t-P@ss:w/rd#?";
const ENC_SECRET = encodeURIComponent(SECRET);
const IS_ROOT = process.getuid?.() === 0;

const MODEL = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; name: string; }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;
const CONFIG = (db = "bad") =>
  `[clickhouse_config]\ndb_name = "${db}"\n\n[features]\nstreaming_engine = false\n`;
const HASH = "a".repeat(64);
const FILE_ID = "20260101_000000_000_x";
const file = (deltas: string, id = FILE_ID, parent = HASH) =>
  `id: ${id}\ndescription: x\nparent_state_hash: ${parent}\ndeltas:\n${deltas}created_at: 2026-01-01T00:00:00Z\n`;
const CREATE_U = `- type: CreateTable
  table:
    name: U
    columns:
    - name: id
      data_type: String
      required: true
      unique: false
      primary_key: true
      default: null
      annotations: []
    order_by:
    - id
    engine: MergeTree
    version: null
    source_primitive:
      name: U
      primitive_type: DataModel
    metadata: null
    life_cycle: FULLY_MANAGED
    indexes: []
    projections: []
    constraints: []
`;

interface Project {
  config?: string | null;
  model?: string | null;
  migrations?: Record<string, string> | null;
}

interface Case {
  name: string;
  project?: Project;
  /** Runs after the project is written (file-system tricks). */
  arrange?: (dir: string) => void;
  args: (dir: string) => string[];
  env?: Record<string, string>;
  exit: number;
  code: string;
  /** Text the message must contain (file, resource, flag). */
  names: (dir: string) => string[];
  /** When set, the case is skipped with this reason. */
  skip?: string;
}

let server: http.Server;
let serverUrl = "";
/** Statements the fake ClickHouse server received (none may change anything). */
const received: string[] = [];

/** A chDB data directory for one case (chDB binds a directory to one process). */
const engineOf = (dir: string) => path.join(dir, ".engine");
const chdb = (dir: string) => `chdb://${engineOf(dir)}`;

const CASES: Case[] = [
  // --- moose.config.toml
  {
    name: "config: missing",
    project: { config: null },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "CONFIG_NOT_FOUND",
    names: () => ["moose.config.toml"],
  },
  {
    name: "config: invalid TOML",
    project: { config: "[clickhouse_config\ndb_name = 1\n" },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "CONFIG_INVALID",
    names: () => ["moose.config.toml", "not valid TOML at line 1"],
  },
  {
    name: "config: wrong types",
    project: { config: `[clickhouse_config]\ndb_name = 5\nhost_port = "abc"\n` },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "CONFIG_INVALID",
    names: () => ["clickhouse_config.host_port"],
  },
  {
    name: "config: wrong type through the environment",
    env: { MOOSE_CLICKHOUSE_CONFIG__USE_SSL: "maybe" },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "CONFIG_INVALID",
    names: () => ["clickhouse_config.use_ssl"],
  },
  {
    name: "config: a model uses a database the config does not list",
    project: {
      model: MODEL.replace(`orderByFields: ["id"]`, `orderByFields: ["id"], database: "other"`),
    },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_INVALID",
    names: () => ["'other'", "additional_databases"],
  },
  {
    name: "config: a table names a cluster the config does not define",
    project: {
      model: MODEL.replace(`orderByFields: ["id"]`, `orderByFields: ["id"], cluster: "c9"`),
    },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_INVALID",
    names: () => ["cluster 'c9'"],
  },
  {
    name: "config: moose.config.toml is a directory",
    project: { config: null },
    arrange: (dir) => fs.mkdirSync(path.join(dir, "moose.config.toml")),
    args: () => ["generate", "migration"],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: () => ["moose.config.toml", "EISDIR"],
  },
  {
    name: "config: [redpanda_config] security_protocol unknown",
    project: {
      config: `${CONFIG().replace("streaming_engine = false", "streaming_engine = true")}\n[redpanda_config]\nsecurity_protocol = "CARRIER_PIGEON"\n`,
      model: `${MODEL}import { Stream } from "@514labs/moose-lib";\nexport const S = new Stream<Row>("S");\n`,
    },
    args: (dir) => ["migrate", "--clickhouse-url", chdb(dir)],
    exit: 1,
    code: "KAFKA_CONFIG_INVALID",
    names: () => ["security_protocol"],
  },
  // --- URLs
  {
    name: "url: unknown scheme, password masked",
    args: () => ["migrate", "--clickhouse-url", `postgres://u:${ENC_SECRET}@h/bad`],
    exit: 1,
    code: "URL_SCHEME_UNKNOWN",
    names: () => ["postgres://u:****@h/bad"],
  },
  {
    name: "url: port out of range",
    args: () => ["migrate", "--clickhouse-url", `http://u:${ENC_SECRET}@127.0.0.1:99999`],
    exit: 1,
    code: "URL_INVALID",
    names: () => ["port 99999, outside 1-65535"],
  },
  {
    name: "url: port not a number",
    args: () => ["generate", "migration", "--clickhouse-url", "clickhouse://h:port/bad"],
    exit: 1,
    code: "URL_INVALID",
    names: () => ["clickhouse://h:port/bad"],
  },
  {
    name: "url: malformed",
    args: () => ["migrate", "--clickhouse-url", "http//nowhere"],
    exit: 1,
    code: "URL_SCHEME_UNKNOWN",
    names: () => ["http//nowhere"],
  },
  {
    name: "url: from the environment, malformed",
    env: { MOOSE_CLICKHOUSE_CONFIG__URL: "http://[::1" },
    args: () => ["migrate"],
    exit: 1,
    code: "URL_INVALID",
    names: () => ["http://[::1"],
  },
  {
    name: "url: special-character password, unreachable server",
    args: () => ["migrate", "--clickhouse-url", `http://u:${ENC_SECRET}@127.0.0.1:1/bad`],
    exit: 1,
    code: "CLICKHOUSE_UNREACHABLE",
    names: () => ["127.0.0.1:1"],
  },
  {
    name: "url: names another project's database",
    args: () => ["migrate", "--clickhouse-url", `http://u:${ENC_SECRET}@127.0.0.1:1/otherdb`],
    exit: 1,
    code: "URL_DATABASE_MISMATCH",
    names: () => ["'otherdb'", "'bad'"],
  },
  {
    name: "url: empty target for migrate",
    args: () => ["migrate", "--clickhouse-url", ""],
    exit: 2,
    code: "TARGET_MISSING",
    names: () => ["--clickhouse-url"],
  },
  // --- credentials (a real HTTP server speaking ClickHouse's refusal)
  {
    name: "credentials: wrong password",
    args: () => ["migrate", "--clickhouse-url", serverUrl.replace("//", `//u:${ENC_SECRET}@`)],
    exit: 1,
    code: "CLICKHOUSE_AUTH_FAILED",
    names: () => ["user 'u'", serverUrl.replace("http://", "")],
  },
  {
    name: "credentials: wrong user",
    args: () => [
      "generate",
      "migration",
      "--clickhouse-url",
      serverUrl.replace("//", `//nobody:${ENC_SECRET}@`),
    ],
    exit: 1,
    code: "CLICKHOUSE_AUTH_FAILED",
    names: () => ["user 'nobody'"],
  },
  // --- migration files
  {
    name: "file: malformed YAML",
    project: { migrations: { [`${FILE_ID}.yaml`]: "id: [unclosed\n" } },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => [`migrations/${FILE_ID}.yaml`],
  },
  {
    name: "file: unknown delta type",
    project: {
      migrations: { [`${FILE_ID}.yaml`]: file("- type: TeleportTable\n  table_id: bad_T\n") },
    },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_DELTA_UNKNOWN",
    names: () => ["TeleportTable", `${FILE_ID}.yaml`],
  },
  {
    name: "file: delta field of the wrong type",
    project: {
      migrations: {
        [`${FILE_ID}.yaml`]: file("- type: DropTableColumn\n  table_id: 5\n  column_name: [a]\n"),
      },
    },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => [`${FILE_ID}.yaml`],
  },
  {
    name: "file: missing parent_state_hash",
    project: {
      migrations: {
        [`${FILE_ID}.yaml`]: `id: ${FILE_ID}\ndescription: x\ndeltas: []\ncreated_at: 2026-01-01T00:00:00Z\n`,
      },
    },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => [`${FILE_ID}.yaml`, "parent_state_hash"],
  },
  {
    name: "file: name does not match its id",
    project: { migrations: { "20260101_000000_000_renamed.yaml": file(CREATE_U) } },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => ["20260101_000000_000_renamed.yaml", FILE_ID],
  },
  {
    name: "file: duplicate ids",
    project: {
      migrations: { [`${FILE_ID}.yaml`]: file(CREATE_U), [`${FILE_ID}.yml`]: file(CREATE_U) },
    },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => [`'${FILE_ID}'`],
  },
  {
    name: "file: truncated",
    project: { migrations: { [`${FILE_ID}.yaml`]: file(CREATE_U).slice(0, 200) } },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => [`${FILE_ID}.yaml`],
  },
  {
    name: "file: empty",
    project: { migrations: { [`${FILE_ID}.yaml`]: "" } },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_FILE_INVALID",
    names: () => [`${FILE_ID}.yaml`],
  },
  {
    name: "file: a directory named like a migration file",
    arrange: (dir) => fs.mkdirSync(path.join(dir, "migrations", `${FILE_ID}.yaml`)),
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: () => [`${FILE_ID}.yaml`, "EISDIR"],
  },
  {
    name: "file: wrong parent hash refuses the file and applies nothing",
    // A real file for the model, its parent hash then edited by hand.
    arrange: (dir) => {
      spawnSync(process.execPath, [CLI, "generate", "migration", "--save"], {
        cwd: dir,
        env: cleanEnv,
      });
      const [name] = fs.readdirSync(path.join(dir, "migrations"));
      const p = path.join(dir, "migrations", name!);
      fs.writeFileSync(
        p,
        fs
          .readFileSync(p, "utf8")
          .replace(/parent_state_hash: \w+/, `parent_state_hash: ${"0".repeat(64)}`),
      );
    },
    args: (dir) => ["migrate", "--clickhouse-url", chdb(dir)],
    exit: 1,
    code: "PARENT_HASH_MISMATCH",
    names: () => ["0".repeat(64), "diverged"],
  },
  {
    name: "file: two files fork from one parent",
    project: {
      model: null,
      migrations: {
        [`${FILE_ID}.yaml`]: file(CREATE_U),
        "20260101_000000_001_y.yaml": file(
          CREATE_U.replace(/\bU\b/g, "V"),
          "20260101_000000_001_y",
        ),
      },
    },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "MIGRATION_CONFLICT",
    names: () => [FILE_ID, "20260101_000000_001_y"],
  },
  // --- models
  {
    name: "model: syntax error",
    project: { model: MODEL.replace("name: string;", "name: string;;; }{") },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_TYPE_ERROR",
    names: () => ["app/index.ts:2:"],
  },
  {
    name: "model: unsupported type",
    project: { model: MODEL.replace("name: string;", "name: bigint;") },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_UNSUPPORTED_TYPE",
    names: () => ["app/index.ts:2:", "bigint"],
  },
  {
    name: "model: orderByFields names a missing field",
    project: { model: MODEL.replace(`orderByFields: ["id"]`, `orderByFields: ["nope"]`) },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_TYPE_ERROR",
    names: () => ["app/index.ts:3:", "nope"],
  },
  {
    name: "model: two tables with one name",
    project: {
      model: `${MODEL}export const T2 = new OlapTable<Row>("T", { orderByFields: ["id"] });\n`,
    },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_INVALID",
    names: () => ["OlapTable with name T already exists"],
  },
  {
    name: "model: no app/index.ts",
    project: { model: null },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_NOT_FOUND",
    names: () => ["app/index.ts"],
  },
  {
    name: "model: throws while loading",
    project: { model: `${MODEL}throw new Error("boom at load");\n` },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_INVALID",
    names: () => ["boom at load", "app/index.ts"],
  },
  {
    name: "model: imports a module that does not exist",
    project: { model: `import { X } from "./missing";\n${MODEL}export const Y = X;\n` },
    args: () => ["generate", "migration"],
    exit: 1,
    code: "MODEL_TYPE_ERROR",
    names: () => ["./missing"],
  },
  // --- file system
  {
    name: "fs: migrations is a file (generate --save)",
    arrange: (dir) => {
      fs.rmSync(path.join(dir, "migrations"), { recursive: true });
      fs.writeFileSync(path.join(dir, "migrations"), "not a directory");
    },
    args: () => ["generate", "migration", "--save"],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: (dir) => [path.join(dir, "migrations"), "ENOTDIR"],
  },
  {
    name: "fs: migrations is a file (migrate --validate)",
    arrange: (dir) => {
      fs.rmSync(path.join(dir, "migrations"), { recursive: true });
      fs.writeFileSync(path.join(dir, "migrations"), "");
    },
    args: () => ["migrate", "--validate"],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: (dir) => [path.join(dir, "migrations"), "ENOTDIR"],
  },
  {
    name: "fs: chdb data path under a file",
    args: (dir) => [
      "migrate",
      "--clickhouse-url",
      `chdb://${path.join(dir, "moose.config.toml", "ch")}`,
    ],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: (dir) => [path.join(dir, "moose.config.toml", "ch"), "ENOTDIR"],
  },
  {
    name: "fs: chdb data path is a file",
    args: (dir) => ["migrate", "--clickhouse-url", `chdb://${path.join(dir, "moose.config.toml")}`],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: (dir) => [`${path.join(dir, "moose.config.toml")} is a file, not a directory`],
  },
  {
    name: "fs: --hints names a directory",
    args: (dir) => ["generate", "migration", "--hints", path.join(dir, "app")],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: (dir) => [path.join(dir, "app"), "EISDIR"],
  },
  {
    name: "fs: migrations directory not writable (EACCES)",
    arrange: (dir) => fs.chmodSync(path.join(dir, "migrations"), 0o555),
    args: () => ["generate", "migration", "--save"],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: () => ["migrations", "EACCES"],
    // root ignores directory permissions, so the refusal cannot be provoked (the ENOTDIR
    // cases above cover the same path through the store).
    skip: IS_ROOT ? "running as root: chmod does not deny root" : undefined,
  },
  {
    name: "fs: chdb data directory not writable (EACCES)",
    arrange: (dir) => fs.mkdirSync(path.join(dir, "ro"), { mode: 0o555 }),
    args: (dir) => ["migrate", "--clickhouse-url", `chdb://${path.join(dir, "ro", "ch")}`],
    exit: 1,
    code: "FILESYSTEM_ERROR",
    names: () => ["ro", "EACCES"],
    skip: IS_ROOT ? "running as root: chmod does not deny root" : undefined,
  },
  // --- flags
  {
    name: "flags: unknown flag",
    args: () => ["generate", "migration", "--bogus"],
    exit: 2,
    code: "USAGE",
    names: () => ["--bogus"],
  },
  {
    name: "flags: unknown command",
    args: () => ["frobnicate"],
    exit: 2,
    code: "USAGE",
    names: () => ["frobnicate"],
  },
  {
    name: "flags: conflicting modes",
    args: () => ["migrate", "--status", "--validate"],
    exit: 2,
    code: "USAGE",
    names: () => ["--validate", "--status"],
  },
  {
    name: "flags: --accept-data-loss with --status",
    args: () => ["migrate", "--status", "--accept-data-loss", FILE_ID],
    exit: 2,
    code: "USAGE",
    names: () => ["--accept-data-loss"],
  },
  {
    name: "flags: --accept-data-loss of no committed file",
    args: (dir) => ["migrate", "--clickhouse-url", chdb(dir), "--accept-data-loss", "nope"],
    exit: 2,
    code: "USAGE",
    names: () => ["nope"],
  },
  {
    name: "flags: missing value",
    args: () => ["migrate", "--clickhouse-url"],
    exit: 2,
    code: "USAGE",
    names: () => ["--clickhouse-url"],
  },
  {
    name: "flags: dev --port not a number",
    args: () => ["dev", "--port", "abc"],
    exit: 2,
    code: "USAGE",
    names: () => ["--port", "abc"],
  },
  {
    name: "flags: --hints malformed JSON",
    args: () => ["generate", "migration", "--hints", "{destructive: yes"],
    exit: 2,
    code: "USAGE",
    names: () => ["--hints"],
  },
  {
    name: "flags: --hints with a wrong value",
    args: () => ["generate", "migration", "--hints", '{"destructive": "yes"}'],
    exit: 2,
    code: "USAGE",
    names: () => ["--hints", '"destructive"'],
  },
  {
    name: "flags: --hints file that does not exist",
    args: (dir) => ["generate", "migration", "--hints", path.join(dir, "nope.json")],
    exit: 2,
    code: "USAGE",
    names: () => ["nope.json"],
  },
  {
    name: "flags: migrate without a target",
    args: () => ["migrate"],
    exit: 2,
    code: "TARGET_MISSING",
    names: () => ["--clickhouse-url"],
  },
  {
    name: "flags: plan without a target",
    args: () => ["plan"],
    exit: 2,
    code: "TARGET_MISSING",
    names: () => ["--clickhouse-url"],
  },
];

interface Outcome {
  dir: string;
  code: number | null;
  out: string;
  err: string;
  before: string[];
  ms: number;
}

const outcomes = new Map<string, Outcome>();

const makeCase = (c: Case, n: number): string => {
  const dir = path.join(ROOT, `case-${n}`);
  fs.mkdirSync(path.join(dir, "migrations"), { recursive: true });
  const p = c.project ?? {};
  const config = p.config === undefined ? CONFIG() : p.config;
  if (config !== null) fs.writeFileSync(path.join(dir, "moose.config.toml"), config);
  const model = p.model === undefined ? MODEL : p.model;
  if (model !== null) {
    fs.mkdirSync(path.join(dir, "app"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "index.ts"), model);
  }
  for (const [name, text] of Object.entries(p.migrations ?? {}))
    fs.writeFileSync(path.join(dir, "migrations", name), text);
  c.arrange?.(dir);
  return dir;
};

const listing = (dir: string): string[] => {
  const m = path.join(dir, "migrations");
  return fs.existsSync(m) && fs.statSync(m).isDirectory() ? fs.readdirSync(m).sort() : [];
};

const runCli = (dir: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<Omit<Outcome, "dir" | "before">>((resolve) => {
    const start = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...cleanEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("close", (code) => resolve({ code, out, err, ms: Date.now() - start }));
  });

/** Answers like a ClickHouse server that knows user `u` with another password. */
const fakeClickHouse = (req: http.IncomingMessage, res: http.ServerResponse) => {
  let body = "";
  req.on("data", (b: Buffer) => (body += b.toString()));
  req.on("end", () => {
    // The statement: the body, else the URL's query parameter.
    const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
    received.push(`${query} ${body}`.trim());
    const user =
      (req.headers["x-clickhouse-user"] as string | undefined) ??
      Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64")
        .toString()
        .split(":")[0];
    res.writeHead(403, { "X-ClickHouse-Exception-Code": "516", "Content-Type": "text/plain" });
    res.end(
      `Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED) (version 25.3.1.1)\n`,
    );
  });
};

const LIMIT = 4;

beforeAll(async () => {
  server = http.createServer(fakeClickHouse);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const todo = CASES.map((c, n) => ({ c, n })).filter(({ c }) => c.skip === undefined);
  const worker = async () => {
    for (let job = todo.shift(); job; job = todo.shift()) {
      const dir = makeCase(job.c, job.n);
      const before = listing(dir);
      const r = await runCli(dir, job.c.args(dir), job.c.env);
      outcomes.set(job.c.name, { dir, before, ...r });
    }
  };
  await Promise.all(Array.from({ length: LIMIT }, worker));
}, 600_000);

afterAll(async () => {
  await new Promise((r) => server.close(r));
  // Put permissions back so the temporary tree can be removed.
  for (const o of outcomes.values()) {
    for (const sub of ["migrations", "ro"]) {
      const p = path.join(o.dir, sub);
      if (fs.existsSync(p) && fs.statSync(p).isDirectory()) fs.chmodSync(p, 0o755);
    }
  }
  fs.rmSync(ROOT, { recursive: true, force: true });
});

describe("bad-input corpus", () => {
  it("has at least 40 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of CASES) {
    const test = c.skip !== undefined ? it.skip : it;
    test(`${c.name}${c.skip !== undefined ? ` (skipped: ${c.skip})` : ""}`, () => {
      const o = outcomes.get(c.name)!;
      const all = `${o.out}\n${o.err}`;
      const where = `\n--- stdout\n${o.out}\n--- stderr\n${o.err}`;
      expect(o.code, where).toBe(c.exit);
      // Exactly one error, with its code, and a hint.
      expect(all.match(/Error \[/g) ?? [], where).toHaveLength(1);
      expect(o.err, where).toContain(`Error [${c.code}]`);
      expect(o.err, where).toMatch(/\nHint: \S/);
      for (const name of c.names(o.dir)) expect(o.err, where).toContain(name);
      // No stack trace, no secret.
      expect(all, where).not.toMatch(/\n\s+at .*[:(]/);
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(ENC_SECRET);
      expect(all).not.toContain("s3cr3t");
      // Nothing applied: no migration file written, no table of the project's made on the
      // embedded engine (migrate may create the database and its journal before refusing).
      expect(listing(o.dir)).toEqual(o.before);
      const tables = path.join(engineOf(o.dir), "metadata", "bad");
      if (fs.existsSync(tables))
        expect(fs.readdirSync(tables).filter((t) => !t.startsWith("_moose"))).toEqual([]);
    });
  }

  it("the fake server saw no statement that changes anything", () => {
    expect(received.length).toBeGreaterThan(0);
    // Reads only (a SELECT may quote DDL text for ClickHouse's parser to check, never run it).
    for (const r of received) expect(r).toMatch(/^\s*(SELECT|WITH|SHOW|EXISTS|DESCRIBE)\b/i);
  });
});
