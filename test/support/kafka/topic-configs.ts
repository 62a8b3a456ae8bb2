/**
 * The topic-level configs the test broker knows, with Kafka's defaults and validation rules
 * (and Kafka's wording for a rejected value), so a bad value fails here as it would on a real
 * broker.
 */
type Rule =
  | { kind: "long" | "int"; min?: number; max?: number }
  | { kind: "double"; min: number; max: number }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "list"; values: readonly string[] };

interface ConfigDef {
  default: string;
  rule: Rule;
}

const INT_MAX = 2147483647;

export const TOPIC_CONFIGS: Record<string, ConfigDef> = {
  "cleanup.policy": { default: "delete", rule: { kind: "list", values: ["delete", "compact"] } },
  "compression.type": {
    default: "producer",
    rule: { kind: "enum", values: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"] },
  },
  "delete.retention.ms": { default: "86400000", rule: { kind: "long", min: 0 } },
  "file.delete.delay.ms": { default: "60000", rule: { kind: "long", min: 0 } },
  "flush.messages": { default: "9223372036854775807", rule: { kind: "long", min: 1 } },
  "flush.ms": { default: "9223372036854775807", rule: { kind: "long", min: 0 } },
  "index.interval.bytes": { default: "4096", rule: { kind: "int", min: 0 } },
  "max.compaction.lag.ms": { default: "9223372036854775807", rule: { kind: "long", min: 1 } },
  "max.message.bytes": { default: "1048588", rule: { kind: "int", min: 0 } },
  "message.timestamp.type": {
    default: "CreateTime",
    rule: { kind: "enum", values: ["CreateTime", "LogAppendTime"] },
  },
  "min.cleanable.dirty.ratio": { default: "0.5", rule: { kind: "double", min: 0, max: 1 } },
  "min.compaction.lag.ms": { default: "0", rule: { kind: "long", min: 0 } },
  "min.insync.replicas": { default: "1", rule: { kind: "int", min: 1 } },
  preallocate: { default: "false", rule: { kind: "bool" } },
  "retention.bytes": { default: "-1", rule: { kind: "long" } },
  "retention.ms": { default: "604800000", rule: { kind: "long", min: -1 } },
  "segment.bytes": { default: "1073741824", rule: { kind: "int", min: 14 } },
  "segment.index.bytes": { default: "10485760", rule: { kind: "int", min: 4 } },
  "segment.jitter.ms": { default: "0", rule: { kind: "long", min: 0 } },
  "segment.ms": { default: "604800000", rule: { kind: "long", min: 1 } },
  "unclean.leader.election.enable": { default: "false", rule: { kind: "bool" } },
};

/** Kafka's message for a rejected value, or null when the value is valid. */
export const validateTopicConfig = (name: string, value: string | null): string | null => {
  const def = TOPIC_CONFIGS[name];
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return null;
  const bad = (why: string) => `Invalid value ${value} for configuration ${name}: ${why}`;
  const rule = def.rule;
  switch (rule.kind) {
    case "long":
    case "int": {
      if (!/^-?\d+$/.test(value.trim()))
        return bad(`Not a number of type ${rule.kind === "int" ? "INT" : "LONG"}`);
      const n = Number(value);
      if (rule.kind === "int" && (n > INT_MAX || n < -INT_MAX - 1))
        return bad("Not a number of type INT");
      const big = BigInt(value.trim());
      if (big > 9223372036854775807n || big < -9223372036854775808n)
        return bad("Not a number of type LONG");
      if (rule.min !== undefined && n < rule.min) return bad(`Value must be at least ${rule.min}`);
      if (rule.max !== undefined && n > rule.max)
        return bad(`Value must be no more than ${rule.max}`);
      return null;
    }
    case "double": {
      const n = Number(value);
      if (value.trim() === "" || Number.isNaN(n)) return bad("Not a number of type DOUBLE");
      if (n < rule.min) return bad(`Value must be at least ${rule.min}`);
      if (n > rule.max) return bad(`Value must be no more than ${rule.max}`);
      return null;
    }
    case "bool":
      return /^(true|false)$/i.test(value.trim())
        ? null
        : bad("Expected value to be either true or false");
    case "enum":
      return rule.values.includes(value)
        ? null
        : bad(`String must be one of: ${rule.values.join(", ")}`);
    case "list":
      return value
        .split(",")
        .map((v) => v.trim())
        .every((v) => rule.values.includes(v))
        ? null
        : bad(`String must be one of: ${rule.values.join(", ")}`);
  }
};

/** Kafka's rule for topic names. */
export const topicNameProblem = (name: string): string | null => {
  if (name === "") return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return 'Topic name cannot be "." or ".."';
  if (name.length > 249)
    return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name))
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
};
