import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { moose } from "../support/cli";
import { makeProject } from "../support/golden";

const ENGINE = `chdb://${path.join(os.tmpdir(), `moose-e2e-chdb-${process.pid}`)}`;
const MODEL = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; name: string; }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;

/** One clear message, the documented exit code, never a stack trace. */
const expectFailure = (
  r: ReturnType<typeof moose>,
  code: number,
  code_: string,
  ...fragments: string[]
) => {
  expect(r.code).toBe(code);
  expect(r.err).toContain(`Error [${code_}]`);
  expect(r.err).toContain("Hint:");
  for (const f of fragments) expect(r.err).toContain(f);
  expect(r.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
};

describe("bad input: one clear message and a documented exit code", () => {
  it("missing moose.config.toml", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moose-empty-"));
    expectFailure(moose(dir, "generate", "migration"), 1, "CONFIG_NOT_FOUND", "moose.config.toml");
  });

  it("malformed moose.config.toml, every problem listed", () => {
    const root = makeProject({
      model: MODEL,
      config: `[clickhouse_config]\ndb_name = 5\nhost_port = "abc"\nuse_ssl = "maybe"\n`,
    });
    const r = moose(root, "generate", "migration");
    expectFailure(
      r,
      1,
      "CONFIG_INVALID",
      "clickhouse_config.host_port",
      "clickhouse_config.use_ssl",
      "2 problem(s)",
    );
    const broken = makeProject({ model: MODEL, config: "[clickhouse_config\n" });
    expectFailure(moose(broken, "generate", "migration"), 1, "CONFIG_INVALID", "not valid TOML");
  });

  it("unknown URL scheme, with the password masked", () => {
    const root = makeProject({ model: MODEL });
    const r = moose(root, "migrate", "--clickhouse-url", "postgres://u:secretpw@h/db");
    expectFailure(r, 1, "URL_SCHEME_UNKNOWN", "postgres://u:****@h/db");
    expect(r.err).not.toContain("secretpw");
  });

  it("unreachable server, with the password masked", () => {
    const root = makeProject({ model: MODEL });
    const r = moose(
      root,
      "generate",
      "migration",
      "--clickhouse-url",
      "http://u:secretpw@127.0.0.1:1/local",
    );
    expectFailure(r, 1, "CLICKHOUSE_UNREACHABLE", "127.0.0.1:1");
    expect(r.err + r.out).not.toContain("secretpw");
  });

  it("model file with a type error names file:line", () => {
    const root = makeProject({ model: MODEL.replace("name: string;", "name: strin;") });
    expectFailure(moose(root, "generate", "migration"), 1, "MODEL_TYPE_ERROR", "app/index.ts:2:");
  });

  it("Key<> columns that do not lead orderByFields fail at generate, not at migrate", () => {
    const root = makeProject({
      model: MODEL.replace('orderByFields: ["id"]', 'orderByFields: ["name", "id"]'),
    });
    const r = moose(root, "generate", "migration", "--save");
    expectFailure(r, 1, "MODEL_INVALID", "OlapTable T", "must be a prefix of orderByFields");
    expect(r.err).toContain('orderByFields: ["id", "name"]');
    expect(fs.readdirSync(path.join(root, "migrations"))).toEqual([]);
  });

  it("unsupported column type names file:line", () => {
    const root = makeProject({ model: MODEL.replace("name: string;", "name: bigint;") });
    expectFailure(
      moose(root, "generate", "migration"),
      1,
      "MODEL_UNSUPPORTED_TYPE",
      "app/index.ts:2:",
      "bigint",
    );
  });

  it("malformed migration YAML names the file", () => {
    const root = makeProject({
      model: MODEL,
      migrations: { "20260101_000000_000_x.yaml": "id: [unclosed\n" },
    });
    expectFailure(
      moose(root, "migrate", "--validate"),
      1,
      "MIGRATION_FILE_INVALID",
      "migrations/20260101_000000_000_x.yaml",
    );
  });

  it("unknown delta type names the file and the type", () => {
    const file = `id: 20260101_000000_000_x\ndescription: x\nparent_state_hash: ${"a".repeat(64)}\ndeltas:\n- type: TeleportTable\n  table_id: local_T\ncreated_at: 2026-01-01T00:00:00Z\n`;
    const root = makeProject({ model: MODEL, migrations: { "20260101_000000_000_x.yaml": file } });
    expectFailure(
      moose(root, "migrate", "--validate"),
      1,
      "MIGRATION_DELTA_UNKNOWN",
      "TeleportTable",
      "20260101_000000_000_x.yaml",
    );
  });

  it("migrate without a target is a usage error", () => {
    const root = makeProject({ model: MODEL });
    expectFailure(moose(root, "migrate"), 2, "TARGET_MISSING", "--clickhouse-url");
  });

  it("parent-hash mismatch refuses the file and applies nothing", () => {
    const root = makeProject({ model: MODEL, dbName: "e2e_parent" });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    const [name] = fs.readdirSync(path.join(root, "migrations"));
    const p = path.join(root, "migrations", name!);
    fs.writeFileSync(
      p,
      fs
        .readFileSync(p, "utf8")
        .replace(/parent_state_hash: \w+/, `parent_state_hash: ${"0".repeat(64)}`),
    );
    const r = moose(root, "migrate", "--clickhouse-url", ENGINE);
    expectFailure(r, 1, "PARENT_HASH_MISMATCH", "diverged", "0".repeat(64));
    const status = moose(root, "migrate", "--status", "--json", "--clickhouse-url", ENGINE);
    expect(status.code).toBe(4);
    expect(JSON.parse(status.out).pending).toEqual([name!.replace(".yaml", "")]);
  });

  it("a destructive change without a TTY exits 3 and lists the decision; --json returns it as data", () => {
    const root = makeProject({ model: MODEL, dbName: "e2e_destructive" });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    fs.writeFileSync(path.join(root, "app", "index.ts"), MODEL.replace("name: string;", ""));
    const r = moose(root, "generate", "migration");
    expectFailure(r, 3, "DECISION_NEEDED", "drop column T.name", "id: drop-column:T.name");
    const j = moose(root, "generate", "migration", "--json");
    expect(j.code).toBe(3);
    expect(JSON.parse(j.out).error.details.decisions).toMatchObject([
      {
        id: "drop-column:T.name",
        kind: "destructive",
        sql: [expect.stringContaining("DROP COLUMN")],
      },
    ]);
    const ok = moose(root, "generate", "migration", "--save", "--hints", '{"destructive": true}');
    expect(ok.code).toBe(0);
    expect(fs.readdirSync(path.join(root, "migrations"))).toHaveLength(2);
  });

  it("moose plan never asks: without a TTY it exits 0 and lists the decisions generate will need", () => {
    const root = makeProject({ model: MODEL, dbName: "e2e_plan_decisions" });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    expect(moose(root, "migrate", "--clickhouse-url", ENGINE).code).toBe(0);
    fs.writeFileSync(path.join(root, "app", "index.ts"), MODEL.replace("name: string;", ""));
    const r = moose(root, "plan", "--clickhouse-url", ENGINE);
    expect(r.code).toBe(0);
    expect(r.out).toContain("will ask for");
    expect(r.out).toContain("destructive: drop column T.name");
    expect(r.out).toContain("id: drop-column:T.name (rows now: 0)");
    expect(r.out).not.toContain("Migration generated");
    const j = moose(root, "plan", "--clickhouse-url", ENGINE, "--json");
    expect(j.code).toBe(0);
    const result = JSON.parse(j.out) as {
      command: string;
      pendingDecisions: { kind: string; id: string }[];
    };
    expect(result.command).toBe("plan");
    expect(result.pendingDecisions.map((d) => d.id)).toEqual(["drop-column:T.name"]);
    // Nothing was written.
    expect(fs.readdirSync(path.join(root, "migrations"))).toHaveLength(1);
  });
});
