import type { ClickHousePort } from "../adapters/clickhouse";
import { foldFiles } from "../core/fold";
import { olapStateHash } from "../core/hash";
import { qualified } from "../core/sql-quote";
import { Journal, summarizeJournal } from "../runtime/journal";
import type { ProjectContext } from "../commands/context";

/**
 * Keeps the journal of dev's database listing every committed file as applied. Dev keeps that
 * database at the code, which is the committed files plus `pending.yaml`, so each committed
 * file is in effect there; recording it lets `moose migrate` and `--status` run against dev's
 * database and report exactly the pending change (as unmigrated), nothing else. A journal
 * that is not a prefix of the files (another branch's, a half-applied file) is rewritten: the
 * database is dev's.
 */
export const syncDevJournal = async (ch: ClickHousePort, ctx: ProjectContext): Promise<number> => {
  const table = ctx.config.clickhouse_config.migrations_table;
  const journal = new Journal(ch, ctx.defaultDb, table);
  await journal.ensure();
  const state = summarizeJournal(await journal.read());
  const ids = ctx.migrations.map((m) => m.file.id);
  const applied = state.applied.map((a) => a.id);
  const isPrefix =
    state.incomplete.size === 0 &&
    applied.length <= ids.length &&
    applied.every((id, i) => ids[i] === id);
  if (!isPrefix) await ch.command(`TRUNCATE TABLE ${qualified(ctx.defaultDb, table)}`);
  const start = isPrefix ? applied.length : 0;
  let fold = foldFiles(
    ctx.migrations.slice(0, start).map((m) => m.file),
    ctx.defaultDb,
  );
  for (const m of ctx.migrations.slice(start)) {
    const base = {
      migration_id: m.file.id,
      parent_state_hash: m.file.parent_state_hash,
      file_checksum: m.checksum,
    };
    fold = foldFiles([m.file], ctx.defaultDb, fold);
    const detail = "recorded by moose dev: its database follows the code";
    await journal.append({ ...base, event: "started", op_index: -1, state_hash: "", detail });
    await journal.append({
      ...base,
      event: "applied",
      op_index: m.file.deltas.length,
      state_hash: olapStateHash(fold),
      detail,
    });
  }
  return ctx.migrations.length - start;
};
