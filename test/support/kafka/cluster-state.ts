/**
 * The state behind the test broker: nodes, topics with their partitions and dynamic configs,
 * and the operations Kafka's admin APIs perform on them, with Kafka's error codes and
 * messages. Pure and synchronous; the network layer (broker.ts) decodes requests into these
 * calls and encodes the results.
 */
import { TOPIC_CONFIGS, topicNameProblem, validateTopicConfig } from "./topic-configs";

/** Kafka error codes used by the admin APIs (org.apache.kafka.common.protocol.Errors). */
export const ErrorCode = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_TOPIC_EXCEPTION: 17,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  SASL_AUTHENTICATION_FAILED: 58,
} as const;

export interface Outcome {
  code: number;
  message: string | null;
}
const ok: Outcome = { code: ErrorCode.NONE, message: null };
const fail = (code: number, message: string): Outcome => ({ code, message });

export interface PartitionState {
  leader: number;
  replicas: number[];
}

export interface TopicState {
  name: string;
  internal: boolean;
  partitions: PartitionState[];
  /** Configs set on the topic (Kafka's DYNAMIC_TOPIC_CONFIG); the rest are defaults. */
  dynamic: Map<string, string>;
}

export interface ConfigEntry {
  name: string;
  value: string;
  /** 1 = set on the topic, 5 = default (Kafka's ConfigSource). */
  source: 1 | 5;
  readOnly: boolean;
  sensitive: boolean;
}

export class ClusterState {
  readonly topics = new Map<string, TopicState>();
  readonly clusterId = "moose-test-cluster";
  readonly controllerId = 0;

  constructor(
    readonly nodeIds: readonly number[],
    /** Kafka's `auto.create.topics.enable` (Redpanda's default, false, unless asked). */
    readonly autoCreateTopics = false,
  ) {
    // Internal topics every real cluster has: the tool must never show or touch them.
    this.addTopic("__consumer_offsets", 3, 1, new Map([["cleanup.policy", "compact"]]), true);
    this.addTopic("_schemas", 1, 1, new Map([["cleanup.policy", "compact"]]), true);
  }

  private addTopic(
    name: string,
    partitions: number,
    replicationFactor: number,
    dynamic: Map<string, string>,
    internal = false,
  ): TopicState {
    const n = this.nodeIds.length;
    const topic: TopicState = {
      name,
      internal,
      partitions: Array.from({ length: partitions }, (_, i) =>
        this.placement(i, replicationFactor, n),
      ),
      dynamic,
    };
    this.topics.set(name, topic);
    return topic;
  }

  private placement(index: number, replicationFactor: number, n: number): PartitionState {
    const replicas = Array.from(
      { length: replicationFactor },
      (_, r) => this.nodeIds[(index + r) % n]!,
    );
    return { leader: replicas[0]!, replicas };
  }

  replicationFactorOf(topic: TopicState): number {
    return topic.partitions[0]?.replicas.length ?? 0;
  }

  private validateConfigs(configs: readonly { name: string; value: string | null }[]): Outcome {
    for (const c of configs) {
      const problem = validateTopicConfig(c.name, c.value);
      if (problem !== null) return fail(ErrorCode.INVALID_CONFIG, problem);
    }
    return ok;
  }

  /** CreateTopics for one topic (Kafka's checks, in Kafka's order). */
  createTopic(req: {
    name: string;
    partitions: number;
    replicationFactor: number;
    assignments: { partition: number; brokers: number[] }[];
    configs: { name: string; value: string | null }[];
    validateOnly: boolean;
  }): Outcome {
    const nameProblem = topicNameProblem(req.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (this.topics.has(req.name))
      return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`);
    const partitions = req.partitions === -1 ? 1 : req.partitions;
    const rf = req.replicationFactor === -1 ? 1 : req.replicationFactor;
    if (req.assignments.length > 0)
      return fail(
        ErrorCode.INVALID_REQUEST,
        "Manual partition assignment is not supported by the test broker.",
      );
    if (partitions < 1)
      return fail(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.");
    if (rf < 1)
      return fail(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        "Replication factor must be larger than 0.",
      );
    if (rf > this.nodeIds.length)
      return fail(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Replication factor: ${rf} larger than available brokers: ${this.nodeIds.length}.`,
      );
    const configs = this.validateConfigs(req.configs);
    if (configs.code !== 0) return configs;
    if (!req.validateOnly)
      this.addTopic(
        req.name,
        partitions,
        rf,
        new Map(req.configs.flatMap((c) => (c.value === null ? [] : [[c.name, c.value] as const]))),
      );
    return ok;
  }

  deleteTopic(name: string): Outcome {
    const topic = this.topics.get(name);
    if (!topic)
      return fail(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        "This server does not host this topic-partition.",
      );
    if (topic.internal)
      return fail(
        ErrorCode.INVALID_REQUEST,
        `Topic ${name} is an internal topic and cannot be deleted.`,
      );
    this.topics.delete(name);
    return ok;
  }

  createPartitions(name: string, count: number, validateOnly: boolean): Outcome {
    const topic = this.topics.get(name);
    if (!topic)
      return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = topic.partitions.length;
    if (count < current)
      return fail(
        ErrorCode.INVALID_PARTITIONS,
        `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
      );
    if (count === current)
      return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (!validateOnly) {
      const rf = this.replicationFactorOf(topic);
      for (let i = current; i < count; i++)
        topic.partitions.push(this.placement(i, rf, this.nodeIds.length));
    }
    return ok;
  }

  /** Effective configs of a topic: defaults with the topic's own values over them. */
  describeTopicConfigs(
    name: string,
    keys: readonly string[] | null,
  ): Outcome & { entries: ConfigEntry[] } {
    const topic = this.topics.get(name);
    if (!topic)
      return {
        ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`),
        entries: [],
      };
    const entries = Object.entries(TOPIC_CONFIGS)
      .filter(([k]) => keys === null || keys.includes(k))
      .map(([k, def]): ConfigEntry => {
        const own = topic.dynamic.get(k);
        return {
          name: k,
          value: own ?? def.default,
          source: own === undefined ? 5 : 1,
          readOnly: false,
          sensitive: false,
        };
      });
    return { ...ok, entries };
  }

  /** AlterConfigs: the topic's dynamic configs become exactly `configs`; unset ones revert. */
  alterConfigs(
    name: string,
    configs: { name: string; value: string | null }[],
    validateOnly: boolean,
  ): Outcome {
    const topic = this.topics.get(name);
    if (!topic)
      return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    const valid = this.validateConfigs(configs);
    if (valid.code !== 0) return valid;
    if (!validateOnly)
      topic.dynamic = new Map(
        configs.flatMap((c) => (c.value === null ? [] : [[c.name, c.value] as const])),
      );
    return ok;
  }

  /** IncrementalAlterConfigs: SET (0), DELETE (1), APPEND (2), SUBTRACT (3) per key. */
  incrementalAlterConfigs(
    name: string,
    ops: { name: string; op: number; value: string | null }[],
    validateOnly: boolean,
  ): Outcome {
    const topic = this.topics.get(name);
    if (!topic)
      return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    const next = new Map(topic.dynamic);
    for (const o of ops) {
      const def = TOPIC_CONFIGS[o.name];
      if (!def) return fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${o.name}`);
      const list = (v: string | undefined) =>
        (v ?? def.default)
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x !== "");
      let value: string | null;
      switch (o.op) {
        case 0:
          value = o.value;
          break;
        case 1:
          value = null;
          break;
        case 2:
        case 3: {
          if (def.rule.kind !== "list")
            return fail(
              ErrorCode.INVALID_CONFIG,
              `Config value append is not allowed for config key: ${o.name}`,
            );
          const items = list(next.get(o.name));
          const given = (o.value ?? "").split(",").map((x) => x.trim());
          value = (
            o.op === 2
              ? [...items, ...given.filter((g) => !items.includes(g))]
              : items.filter((i) => !given.includes(i))
          ).join(",");
          break;
        }
        default:
          return fail(ErrorCode.INVALID_REQUEST, `Unknown config operation ${o.op}`);
      }
      if (value === null) next.delete(o.name);
      else {
        const problem = validateTopicConfig(o.name, value);
        if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
        next.set(o.name, value);
      }
    }
    if (!validateOnly) topic.dynamic = next;
    return ok;
  }

  /** Out-of-band change, as an operator with `kafka-configs --alter` would make it. */
  setTopicConfigByHand(name: string, key: string, value: string): void {
    const topic = this.topics.get(name);
    if (!topic) throw new Error(`test broker: no topic ${name}`);
    topic.dynamic.set(key, value);
  }

  /** Out-of-band topic creation (a topic made by hand or by another tool). */
  createTopicByHand(name: string, partitions: number, configs: Record<string, string> = {}): void {
    const r = this.createTopic({
      name,
      partitions,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
      validateOnly: false,
    });
    if (r.code !== 0) throw new Error(`test broker: ${r.message ?? r.code}`);
  }
}
