import { describe, expect, it } from "vitest";
import { migrationStatus } from "../../src/commands/migrate";
import { makeProject } from "../support/golden";
import { gen, mig, opts, setModel } from "../support/run";

const model = (partition: string) => `import { OlapTable, Key } from "@514labs/moose-lib";
export interface E { id: Key<string>; ts: Date; }
export const T = new OlapTable<E>("E", { orderByFields: ["id"], partitionBy: "${partition}" });
`;

describe("ignore_operations mean the same thing in generate and migrate", () => {
  it("an ignored partition change: generate writes nothing and migrate / --status do not call it unmigrated", async () => {
    const db = "ignore_ops_db";
    const root = makeProject({
      dbName: db,
      model: model("toYYYYMM(ts)"),
      config: `[clickhouse_config]\ndb_name = "${db}"\n\n[features]\nmigrate_with_deltas = true\n\n[migration_config]\nignore_operations = ["ModifyPartitionBy"]\n`,
    });
    await gen(root);
    await mig(root);
    setModel(root, model("toDate(ts)"));
    const again = await gen(root, { save: false });
    expect(again.status).toBe("no-changes");
    // Before the fix migrate refused with UNMIGRATED_CHANGES ("Recreate table …") forever.
    await expect(mig(root)).resolves.toMatchObject({ command: "migrate" });
    const status = await migrationStatus(opts(root));
    expect(status.unmigrated).toEqual([]);
  });
});
