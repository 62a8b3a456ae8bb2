import { describe, expect, it } from "vitest";
import { olapStateHash } from "../../src/core/hash";
import { loadModels } from "../../src/model/load-project";
import {
  goldenDefaultDb,
  goldenRead,
  goldenStateHash,
  goldenSteps,
  makeProject,
} from "../support/golden";

/**
 * Loading each golden model must give Moose's infrastructure map: same tables JSON, same
 * state hash.
 */
describe("model loader reproduces Moose's infrastructure map", () => {
  for (const step of goldenSteps()) {
    it(`${step}`, () => {
      const db = goldenDefaultDb(step);
      const root = makeProject({ model: goldenRead(step, "model.ts"), dbName: db });
      const { map } = loadModels({ root, sourceDir: "app", defaultDatabase: db });
      const golden = JSON.parse(goldenRead(step, "infrastructure_map.json")) as {
        tables: Record<string, unknown>;
        views: Record<string, unknown>;
        materialized_views: Record<string, unknown>;
        topics: Record<string, unknown>;
      };
      expect(map.tables).toEqual(golden.tables);
      expect(map.views).toEqual(golden.views);
      expect(map.materialized_views).toEqual(golden.materialized_views);
      expect(map.topics).toEqual(golden.topics);
      expect(olapStateHash(map)).toBe(goldenStateHash(step));
    });
  }
});
