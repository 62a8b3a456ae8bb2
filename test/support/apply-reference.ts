import { parseClickHouseUrl } from "../../src/config/url";
import { foldAll, loadProject, withClickHouse } from "../../src/commands/context";
import { readAppliedState } from "../../src/commands/applied-state";
import { applyFile } from "../../src/runtime/apply";
import { ENGINE_URL } from "./run";

/**
 * Applies the reference's files for steps the golden captures have no model for, through the
 * real runtime (journal + DDL), without the `migrate` command's "code must match the files"
 * check (the code of those steps was not captured).
 */
export const applyReferenceFiles = async (root: string): Promise<void> => {
  const opts = { root, env: {}, clickhouseUrl: ENGINE_URL };
  const ctx = loadProject(opts);
  const target = parseClickHouseUrl(ENGINE_URL, root, ctx.defaultDb);
  await withClickHouse(opts, target, async (ch) => {
    await ch.command(`CREATE DATABASE IF NOT EXISTS \`${ctx.defaultDb}\``);
    const live = await readAppliedState(ctx, ch, true);
    const applied = new Set(live.journalState.applied.map((a) => a.id));
    const state = live.appliedState;
    const code = foldAll(ctx);
    for (const m of ctx.migrations.filter((x) => !applied.has(x.file.id))) {
      await applyFile({
        migration: m,
        state,
        code,
        opsDone: new Set(),
        journal: live.journal,
        ch,
        onEvent: () => undefined,
      });
    }
  });
};
