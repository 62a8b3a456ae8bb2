import type { KafkaPort } from "../adapters/kafka";
import { MooseError } from "../errors";
import type { Delta } from "../core/deltas";
import { liveTopicMatches, topicAction, type LiveTopic, type TopicAction } from "../core/topics";

const WAIT_MS = 10_000;
const POLL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The broker's view of one topic (Metadata for all topics, then its configs). */
const readTopic = async (kafka: KafkaPort, name: string): Promise<LiveTopic | undefined> => {
  const t = (await kafka.topics()).find((x) => x.name === name);
  if (!t) return undefined;
  const configs = (await kafka.topicConfigs([name])).get(name);
  return { ...t, configs: configs?.effective ?? {} };
};

/** Polls until the broker's metadata shows what was asked (Kafka applies changes asynchronously). */
const waitUntil = async (
  what: string,
  check: () => Promise<boolean>,
  waitMs = WAIT_MS,
): Promise<void> => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new MooseError(
        "KAFKA_REQUEST_FAILED",
        `Kafka accepted the change but its metadata did not show ${what} within ${waitMs / 1000} s`,
        {
          hint: "The broker may be overloaded or a controller election is under way; run `moose migrate` again: the change is checked before it is retried.",
        },
      );
    await sleep(POLL_MS);
  }
};

/** Refuses a create the cluster cannot hold, before any change is made. */
export const checkReplicationFactor = async (
  kafka: KafkaPort,
  topic: string,
  replicationFactor: number,
): Promise<void> => {
  const brokers = await kafka.brokerCount();
  if (replicationFactor > brokers)
    throw new MooseError(
      "KAFKA_REQUEST_FAILED",
      `Cannot create topic '${topic}' with replication factor ${replicationFactor}: the cluster has ${brokers} broker(s)`,
      {
        hint: `Set [redpanda_config] replication_factor (or MOOSE_REDPANDA_CONFIG__REPLICATION_FACTOR) to at most ${brokers}.`,
        details: { topic, replicationFactor, brokers },
      },
    );
};

const applyAction = async (kafka: KafkaPort, action: TopicAction): Promise<void> => {
  switch (action.kind) {
    case "none":
      return;
    case "create": {
      const existing = await readTopic(kafka, action.name);
      if (!existing) {
        await kafka.createTopic(action);
      } else if (!liveTopicMatches(existing, action)) {
        // "Already exists" is fine only when the topic already is what the file asks for.
        throw new MooseError(
          "TOPIC_EXISTS_MISMATCH",
          `Topic '${action.name}' already exists but differs from the migration: it has ${existing.partitions} partition(s) and retention.ms=${existing.configs["retention.ms"] ?? "?"}, the file asks for ${action.partitions} and retention.ms=${action.configs["retention.ms"]}`,
          {
            hint: "Delete the topic if it is stale, or make the stream match it (parallelism, retentionPeriod) and regenerate the migration.",
          },
        );
      }
      await waitUntil(`topic '${action.name}' with ${action.partitions} partition(s)`, async () => {
        const t = await readTopic(kafka, action.name);
        return t !== undefined && t.partitions === action.partitions;
      });
      return;
    }
    case "delete":
      await kafka.deleteTopic(action.name);
      await waitUntil(
        `topic '${action.name}' gone`,
        async () => !(await kafka.topics()).some((t) => t.name === action.name),
      );
      return;
    case "update": {
      const live = await readTopic(kafka, action.name);
      if (!live)
        throw new MooseError(
          "APPLY_FAILED",
          `Topic '${action.name}' cannot be updated: it does not exist on the broker`,
          {
            hint: "Someone deleted it by hand. Regenerate the migration against the live broker (it will create the topic).",
          },
        );
      if (action.partitions !== undefined && live.partitions < action.partitions)
        await kafka.createPartitions(action.name, action.partitions);
      const changed = Object.entries(action.configs).filter(([k, v]) => live.configs[k] !== v);
      if (changed.length > 0) {
        // AlterConfigs replaces the whole set of a topic's dynamic configs: read what is set
        // on the topic now and write it back with ours merged in, so nothing else is reset.
        const current = (await kafka.topicConfigs([action.name])).get(action.name);
        await kafka.alterTopicConfigs(action.name, {
          ...(current?.dynamic ?? {}),
          ...Object.fromEntries(changed),
        });
      }
      await waitUntil(`the change of topic '${action.name}'`, async () => {
        const t = await readTopic(kafka, action.name);
        return (
          t !== undefined &&
          t.partitions >= (action.partitions ?? 0) &&
          liveTopicMatches(t, { configs: action.configs })
        );
      });
      return;
    }
  }
};

/** Carries out one topic delta; re-running it after a crash finds the work done and skips it. */
export const applyTopicDelta = async (kafka: KafkaPort, delta: Delta): Promise<void> =>
  applyAction(kafka, topicAction(delta, kafka.target));
