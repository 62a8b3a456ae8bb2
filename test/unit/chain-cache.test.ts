/*
 * The remembered chain hashes (src/commands/chain-cache.ts): a second check of the same files
 * folds them without hashing and reports what a full check reports; a file whose bytes changed
 * is hashed again from there on; the cache is keyed by the files' bytes, never trusted blindly.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkChainRemembering } from "../../src/commands/chain-cache";
import { loadProject, type ProjectContext } from "../../src/commands/context";
import { checkChain } from "../../src/core/chain";

const GOLDEN = path.resolve(__dirname, "../fixtures/moose-golden/11-drop-table/migrations");

const project = (): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "moose-chain-cache-"));
  fs.writeFileSync(
    path.join(root, "moose.config.toml"),
    '[clickhouse_config]\ndb_name = "local"\n',
  );
  fs.cpSync(GOLDEN, path.join(root, "migrations"), { recursive: true });
  return root;
};

const cacheFile = (root: string) => path.join(root, ".moose", "cache", "chain.json");

const checkCommittedChain = (ctx: ProjectContext) =>
  checkChainRemembering(
    ctx,
    ctx.migrations.map((m) => m.file),
  );

describe("remembered chain hashes", () => {
  it("a second check uses them and reports what a full check reports", () => {
    const root = project();
    const ctx = () => loadProject({ root, env: {} });
    const first = checkCommittedChain(ctx());
    expect(fs.existsSync(cacheFile(root))).toBe(true);
    const full = checkChain(
      ctx().migrations.map((m) => m.file),
      "local",
    );
    expect(first.before).toEqual(full.before);
    expect(first.conflicts).toEqual([]);
    // Every file's parent is the hash before it: the files chain.
    expect(first.before).toEqual(ctx().migrations.map((m) => m.file.parent_state_hash));

    // Proof the remembered hashes are what the next check uses: a doctored one comes back.
    const cache = JSON.parse(fs.readFileSync(cacheFile(root), "utf8")) as {
      files: { before: string }[];
    };
    cache.files[2]!.before = "f".repeat(64);
    fs.writeFileSync(cacheFile(root), JSON.stringify(cache));
    expect(checkCommittedChain(ctx()).before[2]).toBe("f".repeat(64));
  });

  it("a file changed on disk is hashed again, and so is every file after it", () => {
    const root = project();
    const ctx = () => loadProject({ root, env: {} });
    checkCommittedChain(ctx());
    const cache = JSON.parse(fs.readFileSync(cacheFile(root), "utf8")) as {
      files: { before: string }[];
    };
    for (const f of cache.files) f.before = "f".repeat(64);
    fs.writeFileSync(cacheFile(root), JSON.stringify(cache));
    // Reformat the fourth file (same content, other bytes): its checksum no longer matches.
    const names = fs.readdirSync(path.join(root, "migrations")).sort();
    const fourth = path.join(root, "migrations", names[3]!);
    fs.writeFileSync(fourth, `# reformatted\n${fs.readFileSync(fourth, "utf8")}`);
    const report = checkCommittedChain(ctx());
    const parents = ctx().migrations.map((m) => m.file.parent_state_hash);
    expect(report.before.slice(0, 3)).toEqual(["f", "f", "f"].map((c) => c.repeat(64)));
    expect(report.before.slice(3)).toEqual(parents.slice(3));
  });

  it("a second walk in the same command over the same leading files takes the first's hashes", () => {
    const root = project();
    // No file cache: what is reused comes from the command's own first walk.
    const ctx = loadProject({ root, env: { MOOSE_MODEL_CACHE: "off" } });
    const first = checkCommittedChain(ctx);
    ctx.chainWalk = { files: ctx.chainWalk!.files, before: first.before.map(() => "e".repeat(64)) };
    const applied = ctx.migrations.slice(0, 4).map((m) => m.file);
    const second = checkChainRemembering(ctx, applied);
    expect(second.before).toEqual(applied.map(() => "e".repeat(64)));
    // Other file objects (read again) are not vouched for: hashed afresh.
    const again = loadProject({ root, env: { MOOSE_MODEL_CACHE: "off" } }).migrations;
    const other = checkChainRemembering(
      ctx,
      again.map((m) => m.file),
    );
    expect(other.before).toEqual(first.before);
  });

  it("MOOSE_MODEL_CACHE=off neither reads nor writes it", () => {
    const root = project();
    checkCommittedChain(loadProject({ root, env: { MOOSE_MODEL_CACHE: "off" } }));
    expect(fs.existsSync(cacheFile(root))).toBe(false);
  });
});
