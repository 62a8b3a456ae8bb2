import { describe, expect, it } from "vitest";
import { streamStateHash } from "../../src/core/hash";
import { loadModels } from "../../src/model/load-project";
import { makeProject } from "../support/golden";

const load = (model: string) => {
  const root = makeProject({ model, dbName: "local" });
  return loadModels({ root, sourceDir: "app", defaultDatabase: "local" }).map;
};

const stream = (config: string) => `import { Stream, Key, LifeCycle } from "@514labs/moose-lib";
export interface E { id: Key<string>; v: number }
export const S = new Stream<E>("events", ${config});`;

describe("Stream models → topics (Moose's topic JSON)", () => {
  it("maps parallelism, retention (seconds), version and lifecycle; id carries the version", () => {
    const map = load(
      stream(
        `{ parallelism: 4, retentionPeriod: 3600, version: "1.2", lifeCycle: LifeCycle.DELETION_PROTECTED }`,
      ),
    );
    expect(Object.keys(map.topics)).toEqual(["events_1_2"]);
    expect(map.topics.events_1_2).toMatchObject({
      name: "events",
      version: "1.2",
      partition_count: 4,
      retention_period: { secs: 3600, nanos: 0 },
      max_message_bytes: 1048576,
      life_cycle: "DELETION_PROTECTED",
      columns: [
        { name: "id", primary_key: true },
        { name: "v", data_type: "Float64" },
      ],
    });
  });
  it("the stream hash follows the topics and ignores the tables", () => {
    const a = load(stream("{ parallelism: 1 }"));
    const b = load(stream("{ parallelism: 2 }"));
    expect(streamStateHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(streamStateHash(a)).not.toBe(streamStateHash(b));
  });
  it("zero partitions is refused with Moose's wording", () => {
    expect(() => load(stream("{ parallelism: 0 }"))).toThrow(/parallelism must be a whole number/);
  });
});
