/**
 * Kafka/Redpanda topics in the pure core: broker names, diff, planning checks, the reality
 * check of live topics against the recorded state, and what each topic delta asks the broker
 * to do. No I/O here; the runtime executes the actions through the Kafka port.
 */
import { MooseError } from "../errors";
import type { Delta } from "./deltas";
import type { DriftEntry } from "./reconcile";
import { canonicalJson } from "./hash";
import { topicId, type InfraMap, type Topic } from "./infra-map";

/** The only topic configs the tool manages; every other dynamic config is left as it is. */
export const RETENTION_MS = "retention.ms";
export const MAX_MESSAGE_BYTES = "max.message.bytes";

/** A topic as the broker reports it (already filtered to the project's namespace). */
export interface LiveTopic {
  /** Name on the broker, namespace prefix included. */
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Effective config values (dynamic or default), by name. */
  configs: Record<string, string>;
}

/** Broker name of a topic id: `<namespace>.<id>` when `redpanda_config.namespace` is set. */
export const brokerTopicName = (id: string, namespace: string | undefined): string =>
  namespace === undefined || namespace === "" ? id : `${namespace}.${id}`;

/**
 * Topics the tool may see: not internal (`__consumer_offsets`, `_schemas`, any `__*`) and,
 * with a namespace, only those under it.
 */
export const isVisibleTopic = (name: string, namespace: string | undefined): boolean => {
  if (name.startsWith("__") || name === "_schemas") return false;
  return namespace === undefined || namespace === "" || name.startsWith(`${namespace}.`);
};

/** Id of a broker topic name, or undefined when it is outside the namespace. */
export const topicIdOfBrokerName = (
  name: string,
  namespace: string | undefined,
): string | undefined => {
  if (!isVisibleTopic(name, namespace)) return undefined;
  return namespace === undefined || namespace === "" ? name : name.slice(namespace.length + 1);
};

export const retentionMs = (topic: Pick<Topic, "retention_period">): number =>
  topic.retention_period.secs < 0
    ? -1
    : topic.retention_period.secs * 1000 + Math.floor(topic.retention_period.nanos / 1e6);

const retentionFromMs = (ms: number): Topic["retention_period"] =>
  ms < 0 ? { secs: -1, nanos: 0 } : { secs: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };

/** Moose's topic equality: every field but `metadata`. */
export const topicsEqual = (a: Topic, b: Topic): boolean =>
  canonicalJson({ ...a, metadata: null }) === canonicalJson({ ...b, metadata: null });

/** Create, delete and update deltas taking `base` topics to `target` topics. */
export const diffTopics = (base: InfraMap, target: InfraMap): Delta[] => {
  const out: Delta[] = [];
  for (const id of Object.keys(base.topics))
    if (!target.topics[id]) out.push({ type: "DeleteTopic", topic_id: id });
  for (const [id, after] of Object.entries(target.topics)) {
    const before = base.topics[id];
    if (!before) out.push({ type: "CreateTopic", topic: after });
    else if (!topicsEqual(before, after)) out.push({ type: "UpdateTopic", before, after });
  }
  return out;
};

/**
 * Changes Kafka cannot make, found while planning (before anything is written): partitions
 * only grow.
 */
export const checkTopicDeltas = (deltas: readonly Delta[]): void => {
  for (const d of deltas) {
    if (d.type !== "UpdateTopic") continue;
    const { before, after } = d;
    if (after.partition_count < before.partition_count)
      throw new MooseError(
        "TOPIC_PARTITION_DECREASE",
        `Stream '${after.name}': cannot decrease parallelism from ${before.partition_count} to ${after.partition_count} (topic '${topicId(after)}' has ${before.partition_count} partitions; Kafka topics can only gain partitions)`,
        {
          hint: `Keep parallelism: ${before.partition_count} (or more), or create a new version of the stream (version: "…") with ${after.partition_count} partition(s) and move producers to it.`,
          details: {
            topic: topicId(after),
            from: before.partition_count,
            to: after.partition_count,
          },
        },
      );
  }
};

/** What a topic delta asks of the broker. `none`: a change of the recorded state only. */
export type TopicAction =
  | {
      kind: "create";
      name: string;
      partitions: number;
      replicationFactor: number;
      configs: Record<string, string>;
    }
  | { kind: "delete"; name: string }
  | {
      kind: "update";
      name: string;
      /** New total when partitions grow. */
      partitions?: number;
      /** Managed configs to set; the rest of the topic's dynamic configs are kept. */
      configs: Record<string, string>;
    }
  | { kind: "none" };

const managedConfigs = (topic: Topic): Record<string, string> => ({
  [RETENTION_MS]: String(retentionMs(topic)),
  [MAX_MESSAGE_BYTES]: String(topic.max_message_bytes),
});

export interface TopicSettings {
  namespace: string | undefined;
  replicationFactor: number;
}

export const topicAction = (delta: Delta, settings: TopicSettings): TopicAction => {
  const name = (id: string) => brokerTopicName(id, settings.namespace);
  switch (delta.type) {
    case "CreateTopic":
      return {
        kind: "create",
        name: name(topicId(delta.topic)),
        partitions: delta.topic.partition_count,
        replicationFactor: settings.replicationFactor,
        configs: managedConfigs(delta.topic),
      };
    case "DeleteTopic":
      return { kind: "delete", name: name(delta.topic_id) };
    case "UpdateTopic": {
      const before = managedConfigs(delta.before);
      const configs = Object.fromEntries(
        Object.entries(managedConfigs(delta.after)).filter(([k, v]) => before[k] !== v),
      );
      const grow = delta.after.partition_count > delta.before.partition_count;
      if (!grow && Object.keys(configs).length === 0) return { kind: "none" };
      return {
        kind: "update",
        name: name(topicId(delta.after)),
        ...(grow ? { partitions: delta.after.partition_count } : {}),
        configs,
      };
    }
    default:
      return { kind: "none" };
  }
};

/**
 * Whether the broker's topic already is what a create or update asks for (a create that finds
 * the topic, or a resumed update, needs nothing more).
 */
export const liveTopicMatches = (
  live: LiveTopic,
  want: { partitions?: number; configs: Record<string, string> },
): boolean =>
  (want.partitions === undefined || live.partitions === want.partitions) &&
  Object.entries(want.configs).every(([k, v]) => live.configs[k] === v);

/** The recorded topic with what the broker says of partitions, retention and message size. */
const adoptLive = (known: Topic, live: LiveTopic): Topic => {
  const retention = live.configs[RETENTION_MS];
  const maxBytes = live.configs[MAX_MESSAGE_BYTES];
  return {
    ...known,
    partition_count: live.partitions,
    retention_period:
      retention !== undefined && Number.isFinite(Number(retention))
        ? retentionFromMs(Number(retention))
        : known.retention_period,
    max_message_bytes:
      maxBytes !== undefined && Number.isFinite(Number(maxBytes))
        ? Number(maxBytes)
        : known.max_message_bytes,
  };
};

const topicDrift = (recorded: Topic, actual: Topic): string[] => {
  const out: string[] = [];
  if (recorded.partition_count !== actual.partition_count)
    out.push(`partitions ${recorded.partition_count} -> ${actual.partition_count}`);
  if (retentionMs(recorded) !== retentionMs(actual))
    out.push(`${RETENTION_MS} ${retentionMs(recorded)} -> ${retentionMs(actual)}`);
  if (recorded.max_message_bytes !== actual.max_message_bytes)
    out.push(`${MAX_MESSAGE_BYTES} ${recorded.max_message_bytes} -> ${actual.max_message_bytes}`);
  return out;
};

/**
 * Moose's reality check for topics: the topics the applied migrations created, as they are on
 * the broker. Kafka keeps no schema, version or lifecycle, so those come from the recorded
 * topic. A topic the code declares but no migration created stays out of the state even when
 * the broker has it: the next file creates it, and applying that create accepts a topic that
 * already matches (and refuses one that does not). Other topics are invisible.
 */
export const reconcileTopics = (
  applied: InfraMap,
  live: readonly LiveTopic[],
  namespace: string | undefined,
): { topics: Record<string, Topic>; drift: DriftEntry[] } => {
  const byId = new Map<string, LiveTopic>();
  for (const t of live) {
    const id = topicIdOfBrokerName(t.name, namespace);
    if (id !== undefined) byId.set(id, t);
  }
  const topics: Record<string, Topic> = {};
  const drift: DriftEntry[] = [];
  for (const id of Object.keys(applied.topics).sort()) {
    const recorded = applied.topics[id]!;
    const actual = byId.get(id);
    const label = `topic ${brokerTopicName(id, namespace)}`;
    if (!actual) {
      drift.push({
        tableId: label,
        name: label,
        kind: "missing",
        details: ["topic missing on the broker"],
      });
      continue;
    }
    const topic = adoptLive(recorded, actual);
    topics[id] = topic;
    const details = topicDrift(recorded, topic);
    if (details.length > 0) drift.push({ tableId: label, name: label, kind: "changed", details });
  }
  return { topics, drift };
};
