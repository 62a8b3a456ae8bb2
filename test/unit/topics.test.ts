import { describe, expect, it } from "vitest";
import { diffMaps } from "../../src/core/diff";
import { orderDeltas } from "../../src/core/order";
import type { Delta } from "../../src/core/deltas";
import { deltaTableIdIn, destructiveSummary, withPolicy } from "../../src/core/deltas";
import { foldFiles } from "../../src/core/fold";
import { streamStateHash } from "../../src/core/hash";
import { emptyInfraMap, type LifeCycle, type Topic } from "../../src/core/infra-map";
import { filterByLifecycle, lifecycleViolation } from "../../src/core/lifecycle";
import { parseMigrationFile, serializeMigrationFile } from "../../src/core/migration-file";
import {
  brokerTopicName,
  checkTopicDeltas,
  isVisibleTopic,
  reconcileTopics,
  topicAction,
  topicIdOfBrokerName,
} from "../../src/core/topics";
import { MooseError } from "../../src/errors";
import { topic, topicsOf } from "../support/fixtures";

const settings = { namespace: "ns", replicationFactor: 3 };
const plan = (base: Topic[], target: Topic[]) => {
  const b = topicsOf(...base);
  const t = topicsOf(...target);
  return filterByLifecycle(diffMaps(b, t), b, t, (d) => deltaTableIdIn(d, "db"));
};

describe("topic lifecycle matrix (moose-behaviour §4), case by case", () => {
  type Case = [change: string, lc: LifeCycle, expected: Delta["type"][], blocked: RegExp | null];
  const CASES: Case[] = [
    ["added", "FULLY_MANAGED", ["CreateTopic"], null],
    ["added", "DELETION_PROTECTED", ["CreateTopic"], null],
    ["added", "EXTERNALLY_MANAGED", [], /ExternallyManaged lifecycle - addition blocked/],
    ["removed", "FULLY_MANAGED", ["DeleteTopic"], null],
    ["removed", "DELETION_PROTECTED", [], /DeletionProtected lifecycle - deletion blocked/],
    ["removed", "EXTERNALLY_MANAGED", [], /ExternallyManaged lifecycle - deletion blocked/],
    ["changed", "FULLY_MANAGED", ["UpdateTopic"], null],
    ["changed", "DELETION_PROTECTED", ["UpdateTopic"], null],
    ["changed", "EXTERNALLY_MANAGED", [], /ExternallyManaged lifecycle - update blocked/],
  ];
  for (const [change, lc, expected, blocked] of CASES) {
    it(`topic ${change}, ${lc}: ${expected.join(", ") || "blocked"}`, () => {
      const t = topic("events", { life_cycle: lc });
      const r =
        change === "added"
          ? plan([], [t])
          : change === "removed"
            ? plan([t], [])
            : plan([t], [{ ...t, partition_count: 4, retention_period: { secs: 60, nanos: 0 } }]);
      expect(r.allowed.map((d) => d.type)).toEqual(expected);
      if (blocked) {
        expect(r.blocked).toHaveLength(1);
        expect(r.blocked[0]!.reason).toMatch(blocked);
        expect(r.blocked[0]!.tableId).toBe("topic:events");
      } else expect(r.blocked).toEqual([]);
    });
  }
  it("a lifecycle change is an update; the target lifecycle decides (FM → EM blocked)", () => {
    const t = topic("events");
    expect(plan([t], [{ ...t, life_cycle: "DELETION_PROTECTED" }]).allowed).toHaveLength(1);
    expect(plan([t], [{ ...t, life_cycle: "EXTERNALLY_MANAGED" }]).allowed).toEqual([]);
  });
  it("removal is judged by the topic as recorded (DP → removed from code is kept)", () => {
    const recorded = topicsOf(topic("events", { life_cycle: "DELETION_PROTECTED" }));
    const del: Delta = { type: "DeleteTopic", topic_id: "events" };
    expect(lifecycleViolation(del, recorded, emptyInfraMap("db"))).toMatch(/kept/);
  });
  it("metadata alone is no change (Moose's topic equality ignores it)", () => {
    const t = topic("events");
    expect(plan([t], [{ ...t, metadata: { description: "new" } }]).allowed).toEqual([]);
  });
});

describe("planning", () => {
  it("a partition decrease is an error naming the stream, both counts and a way out", () => {
    const before = topic("events", { partition_count: 4 });
    const deltas = diffMaps(topicsOf(before), topicsOf({ ...before, partition_count: 2 }));
    let err: unknown;
    try {
      checkTopicDeltas(deltas);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MooseError);
    expect((err as MooseError).code).toBe("TOPIC_PARTITION_DECREASE");
    expect((err as MooseError).message).toContain("from 4 to 2");
    expect((err as MooseError).hint).toContain("version");
  });
  it("growth and equal counts pass", () => {
    const before = topic("events", { partition_count: 2 });
    expect(() =>
      checkTopicDeltas(diffMaps(topicsOf(before), topicsOf({ ...before, partition_count: 3 }))),
    ).not.toThrow();
  });
  it("topic deltas come after table deltas; deletes before creates", () => {
    const order = orderDeltas(
      [
        { type: "CreateTopic", topic: topic("b") },
        { type: "DeleteTopic", topic_id: "a" },
        { type: "RawSql", sql: ["SELECT 1"], description: "x" },
      ],
      "db",
    );
    expect(order.map((d) => d.type)).toEqual(["RawSql", "DeleteTopic", "CreateTopic"]);
  });
  it("deleting a topic is destructive and records its approval", () => {
    const del: Delta = { type: "DeleteTopic", topic_id: "events" };
    expect(destructiveSummary(del)).toContain("DELETE TOPIC `events`");
    expect(withPolicy(del, "2026-01-01T00:00:00.000Z")).toMatchObject({
      policy: { description: "User confirmed: DELETE TOPIC 'events'" },
    });
    expect(destructiveSummary({ type: "CreateTopic", topic: topic("e") })).toBeNull();
  });
});

describe("what each delta asks of the broker", () => {
  it("create: namespaced name, partitions, replication factor from config, managed configs", () => {
    expect(
      topicAction(
        { type: "CreateTopic", topic: topic("e", { version: "1.0", partition_count: 3 }) },
        settings,
      ),
    ).toEqual({
      kind: "create",
      name: "ns.e_1_0",
      partitions: 3,
      replicationFactor: 3,
      configs: { "retention.ms": "604800000", "max.message.bytes": "1048576" },
    });
  });
  it("update: only what changed; a schema-only change asks nothing", () => {
    const t = topic("e");
    expect(
      topicAction(
        {
          type: "UpdateTopic",
          before: t,
          after: { ...t, partition_count: 2, retention_period: { secs: 60, nanos: 0 } },
        },
        settings,
      ),
    ).toEqual({
      kind: "update",
      name: "ns.e",
      partitions: 2,
      configs: { "retention.ms": "60000" },
    });
    expect(
      topicAction({ type: "UpdateTopic", before: t, after: { ...t, columns: [] } }, settings),
    ).toEqual({ kind: "none" });
  });
  it("delete: by id under the namespace", () => {
    expect(topicAction({ type: "DeleteTopic", topic_id: "e" }, settings)).toEqual({
      kind: "delete",
      name: "ns.e",
    });
  });
});

describe("namespaces and visibility", () => {
  it("names and ids", () => {
    expect(brokerTopicName("e", undefined)).toBe("e");
    expect(brokerTopicName("e", "prod")).toBe("prod.e");
    expect(topicIdOfBrokerName("prod.e", "prod")).toBe("e");
    expect(topicIdOfBrokerName("dev.e", "prod")).toBeUndefined();
  });
  it("internal topics are never visible", () => {
    for (const name of ["__consumer_offsets", "__redpanda_e2e", "_schemas"])
      expect(isVisibleTopic(name, undefined)).toBe(false);
    expect(isVisibleTopic("_private", undefined)).toBe(true);
  });
});

describe("reality check of live topics", () => {
  const live = (name: string, partitions: number, retentionMs: string) => ({
    name,
    partitions,
    replicationFactor: 1,
    configs: {
      "retention.ms": retentionMs,
      "max.message.bytes": "1048576",
      "cleanup.policy": "delete",
    },
  });
  it("keeps recorded schema/lifecycle, takes partitions and retention from the broker, reports drift", () => {
    const recorded = topicsOf(topic("e", { life_cycle: "DELETION_PROTECTED" }));
    const r = reconcileTopics(recorded, [live("ns.e", 3, "1500")], "ns");
    expect(r.topics.e).toMatchObject({
      partition_count: 3,
      retention_period: { secs: 1, nanos: 500_000_000 },
      life_cycle: "DELETION_PROTECTED",
      columns: recorded.topics.e!.columns,
    });
    expect(r.drift).toEqual([
      {
        tableId: "topic ns.e",
        name: "topic ns.e",
        kind: "changed",
        details: ["partitions 1 -> 3", "retention.ms 604800000 -> 1500"],
      },
    ]);
  });
  it("topics no migration created stay out of the state, even when the code declares them", () => {
    const recorded = topicsOf(topic("e"));
    const r = reconcileTopics(
      recorded,
      [
        live("ns.e", 1, "604800000"),
        live("ns.declared_elsewhere", 1, "1"),
        live("other.e", 9, "1"),
      ],
      "ns",
    );
    expect(Object.keys(r.topics)).toEqual(["e"]);
    expect(r.drift).toEqual([]);
    expect(streamStateHash({ ...recorded, topics: r.topics })).toBe(streamStateHash(recorded));
  });
  it("a recorded topic missing on the broker is drift and leaves the state", () => {
    const r = reconcileTopics(topicsOf(topic("e")), [], undefined);
    expect(r.topics).toEqual({});
    expect(r.drift[0]).toMatchObject({ tableId: "topic e", kind: "missing" });
  });
});

describe("topic deltas in files", () => {
  it("round-trip through YAML with parent_stream_hash, and fold", () => {
    const t = topic("e", { version: "1.0" });
    const file = {
      id: "20260101_000000_000_streams",
      description: "streams",
      parent_state_hash: "a".repeat(64),
      parent_stream_hash: "b".repeat(64),
      deltas: [
        { type: "CreateTopic", topic: t },
        { type: "UpdateTopic", before: t, after: { ...t, partition_count: 2 } },
        {
          type: "DeleteTopic",
          topic_id: "e_1_0",
          policy: { description: "x", approved_at: "2026-01-01T00:00:00.000Z" },
        },
      ] as Delta[],
      created_at: "2026-01-01T00:00:00.000Z",
    };
    const text = serializeMigrationFile(file);
    expect(text).toMatch(/parent_state_hash: a+\nparent_stream_hash: b+\ndeltas:/);
    const back = parseMigrationFile(text, "f.yaml");
    expect(back).toEqual(file);
    const folded = foldFiles([{ id: file.id, deltas: file.deltas.slice(0, 2) }], "db");
    expect(folded.topics.e_1_0!.partition_count).toBe(2);
    expect(Object.keys(foldFiles([back], "db").topics)).toEqual([]);
  });
  it("a file without topics has no parent_stream_hash (Moose's files stay byte-compatible)", () => {
    const text = serializeMigrationFile({
      id: "20260101_000000_000_x",
      description: "x",
      parent_state_hash: "a".repeat(64),
      deltas: [],
      created_at: "2026-01-01T00:00:00.000Z",
    });
    expect(text).not.toContain("parent_stream_hash");
  });
  it("fold refuses a delete of an unknown topic, naming it", () => {
    expect(() =>
      foldFiles([{ id: "f", deltas: [{ type: "DeleteTopic", topic_id: "ghost" }] }], "db"),
    ).toThrow(/topic 'ghost' not found/);
  });
});
