/**
 * An in-process Kafka broker for tests, in the spirit of franz-go's kfake and Sarama's
 * MockBroker: it listens on real TCP sockets (optionally TLS), speaks the Kafka wire protocol
 * for the admin APIs, and keeps topics in memory (cluster-state.ts). Real clients (kafkajs)
 * connect to it unchanged. A cluster of N brokers is N listeners over one state; node 0 is
 * the controller.
 *
 * APIs and versions: ApiVersions 0-2, Metadata 0-6, CreateTopics 0-3, DeleteTopics 0-1,
 * CreatePartitions 0-1, DescribeConfigs 0-2, AlterConfigs 0-1, IncrementalAlterConfigs 0,
 * DescribeCluster 0 (flexible), SaslHandshake 1, SaslAuthenticate 0-1.
 */
import net from "node:net";
import tls from "node:tls";
import { ClusterState, ErrorCode } from "./cluster-state";
import { Reader, Writer, frame } from "./codec";
import { startExchange, type SaslExchange, type SaslMechanismName } from "./sasl";

export const ApiKey = {
  Metadata: 3,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  IncrementalAlterConfigs: 44,
  DescribeCluster: 60,
} as const;

const VERSIONS: Record<number, [number, number]> = {
  [ApiKey.Metadata]: [0, 6],
  [ApiKey.SaslHandshake]: [1, 1],
  [ApiKey.ApiVersions]: [0, 2],
  [ApiKey.CreateTopics]: [0, 3],
  [ApiKey.DeleteTopics]: [0, 1],
  [ApiKey.DescribeConfigs]: [0, 2],
  [ApiKey.AlterConfigs]: [0, 1],
  [ApiKey.SaslAuthenticate]: [0, 1],
  [ApiKey.CreatePartitions]: [0, 1],
  [ApiKey.IncrementalAlterConfigs]: [0, 0],
  [ApiKey.DescribeCluster]: [0, 0],
};

/** Versions whose request/response headers carry tagged fields. */
const isFlexible = (apiKey: number, _version: number) => apiKey === ApiKey.DescribeCluster;

export interface TestKafkaOptions {
  /** Number of brokers in the cluster (replication factor can go up to this). */
  brokers?: number;
  /** Require SASL with these mechanisms and users (user → password). */
  sasl?: { mechanisms: SaslMechanismName[]; users: Record<string, string> };
  /** Serve TLS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  autoCreateTopics?: boolean;
}

interface RequestHeader {
  apiKey: number;
  version: number;
  correlationId: number;
}

export class TestKafkaCluster {
  readonly state: ClusterState;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private ports: number[] = [];
  /** Requests served, by API key: tests use it to check how many round trips a command makes. */
  readonly requestCounts = new Map<number, number>();

  private constructor(private readonly opts: TestKafkaOptions) {
    const n = opts.brokers ?? 1;
    this.state = new ClusterState(
      Array.from({ length: n }, (_, i) => i),
      opts.autoCreateTopics ?? false,
    );
  }

  static async start(opts: TestKafkaOptions = {}): Promise<TestKafkaCluster> {
    const cluster = new TestKafkaCluster(opts);
    for (let node = 0; node < cluster.state.nodeIds.length; node++) {
      const onSocket = (socket: net.Socket) => cluster.serve(socket, node);
      const server = opts.tls
        ? tls.createServer({ ...opts.tls }, onSocket)
        : net.createServer(onSocket);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      cluster.servers.push(server);
      cluster.ports.push((server.address() as net.AddressInfo).port);
    }
    return cluster;
  }

  /** `host:port` of every broker, as a client's bootstrap list. */
  get brokers(): string[] {
    return this.ports.map((p) => `127.0.0.1:${p}`);
  }

  resetCounts(): void {
    this.requestCounts.clear();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private serve(socket: net.Socket, node: number): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const conn = {
      authenticated: this.opts.sasl === undefined,
      exchange: undefined as SaslExchange | undefined,
    };
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const body = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        const reply = this.handle(body, node, conn);
        if (reply === "close") {
          socket.end();
          return;
        }
        socket.write(reply);
      }
    });
  }

  private handle(
    body: Buffer,
    node: number,
    conn: { authenticated: boolean; exchange: SaslExchange | undefined },
  ): Buffer | "close" {
    const r = new Reader(body);
    const header: RequestHeader = {
      apiKey: r.int16(),
      version: r.int16(),
      correlationId: r.int32(),
    };
    r.nullableString(); // client id
    if (isFlexible(header.apiKey, header.version)) r.taggedFields();
    this.requestCounts.set(header.apiKey, (this.requestCounts.get(header.apiKey) ?? 0) + 1);
    const range = VERSIONS[header.apiKey];
    if (header.apiKey === ApiKey.ApiVersions && (!range || header.version > range[1])) {
      // Kafka answers an ApiVersions it cannot parse in v0 form with UNSUPPORTED_VERSION.
      return this.respond(header, this.apiVersions(0, ErrorCode.UNSUPPORTED_VERSION));
    }
    if (!range || header.version < range[0] || header.version > range[1]) return "close";
    // Before SASL completes only the handshake APIs are allowed; Kafka drops the connection.
    const saslApis: number[] = [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate];
    if (!conn.authenticated && !saslApis.includes(header.apiKey)) return "close";
    const v = header.version;
    switch (header.apiKey) {
      case ApiKey.ApiVersions:
        return this.respond(header, this.apiVersions(v, ErrorCode.NONE));
      case ApiKey.SaslHandshake:
        return this.respond(header, this.saslHandshake(r, conn));
      case ApiKey.SaslAuthenticate:
        return this.respond(header, this.saslAuthenticate(r, v, conn));
      case ApiKey.Metadata:
        return this.respond(header, this.metadata(r, v));
      case ApiKey.CreateTopics:
        return this.respond(header, this.createTopics(r, v, node));
      case ApiKey.DeleteTopics:
        return this.respond(header, this.deleteTopics(r, v, node));
      case ApiKey.CreatePartitions:
        return this.respond(header, this.createPartitions(r, node));
      case ApiKey.DescribeConfigs:
        return this.respond(header, this.describeConfigs(r, v));
      case ApiKey.AlterConfigs:
        return this.respond(header, this.alterConfigs(r, false));
      case ApiKey.IncrementalAlterConfigs:
        return this.respond(header, this.alterConfigs(r, true));
      case ApiKey.DescribeCluster:
        return this.respond(header, this.describeCluster(r), true);
      default:
        return "close";
    }
  }

  private respond(header: RequestHeader, body: Buffer, flexibleHeader = false): Buffer {
    const w = new Writer().int32(header.correlationId);
    if (flexibleHeader) w.emptyTags();
    return frame(Buffer.concat([w.toBuffer(), body]));
  }

  private apiVersions(version: number, error: number): Buffer {
    const w = new Writer().int16(error);
    w.array(Object.entries(VERSIONS), (x, [key, [min, max]]) =>
      x.int16(Number(key)).int16(min).int16(max),
    );
    if (version >= 1) w.int32(0);
    return w.toBuffer();
  }

  private saslHandshake(r: Reader, conn: { exchange: SaslExchange | undefined }): Buffer {
    const mechanism = r.string().toUpperCase();
    const enabled = this.opts.sasl?.mechanisms ?? [];
    const w = new Writer();
    if (!(enabled as string[]).includes(mechanism)) {
      w.int16(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    } else {
      conn.exchange = startExchange(mechanism as SaslMechanismName, this.opts.sasl!.users);
      w.int16(ErrorCode.NONE);
    }
    return w.array(enabled, (x, m) => x.string(m)).toBuffer();
  }

  private saslAuthenticate(
    r: Reader,
    version: number,
    conn: { authenticated: boolean; exchange: SaslExchange | undefined },
  ): Buffer {
    const token = r.bytes();
    const w = new Writer();
    if (!conn.exchange) {
      w.int16(ErrorCode.ILLEGAL_SASL_STATE)
        .nullableString("SaslAuthenticate before SaslHandshake")
        .bytes(Buffer.alloc(0));
    } else {
      const step = conn.exchange.step(token);
      if (step.kind === "failed") {
        conn.exchange = undefined;
        w.int16(ErrorCode.SASL_AUTHENTICATION_FAILED)
          .nullableString(step.message)
          .bytes(Buffer.alloc(0));
      } else {
        if (step.kind === "done") {
          conn.authenticated = true;
          conn.exchange = undefined;
        }
        w.int16(ErrorCode.NONE).nullableString(null).bytes(step.token);
      }
    }
    if (version >= 1) w.int64(0n);
    return w.toBuffer();
  }

  private metadata(r: Reader, v: number): Buffer {
    const requested = r.nullableArray((x) => x.string());
    const allowAuto = v >= 4 ? r.bool() : true;
    const all = requested === null || (v === 0 && requested.length === 0);
    const names = all ? [...this.state.topics.keys()].sort() : requested;
    const w = new Writer();
    if (v >= 3) w.int32(0);
    w.array(this.state.nodeIds, (x, id) => {
      x.int32(id).string("127.0.0.1").int32(this.ports[id]!);
      if (v >= 1) x.nullableString(null);
    });
    if (v >= 2) w.nullableString(this.state.clusterId);
    if (v >= 1) w.int32(this.state.controllerId);
    w.array(names, (x, name) => {
      let topic = this.state.topics.get(name);
      if (!topic && !all && allowAuto && this.state.autoCreateTopics) {
        this.state.createTopicByHand(name, 1);
        topic = this.state.topics.get(name);
      }
      x.int16(topic ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).string(name);
      if (v >= 1) x.bool(topic?.internal ?? false);
      x.array(topic?.partitions ?? [], (p, part) => {
        const index = topic!.partitions.indexOf(part);
        p.int16(ErrorCode.NONE).int32(index).int32(part.leader);
        p.array(part.replicas, (q, id) => q.int32(id));
        p.array(part.replicas, (q, id) => q.int32(id));
        if (v >= 5) p.array([], (q, id: number) => q.int32(id));
      });
    });
    return w.toBuffer();
  }

  private notController(node: number): boolean {
    return node !== this.state.controllerId;
  }

  private createTopics(r: Reader, v: number, node: number): Buffer {
    const topics = r.array((x) => ({
      name: x.string(),
      partitions: x.int32(),
      replicationFactor: x.int16(),
      assignments: x.array((a) => ({ partition: a.int32(), brokers: a.array((b) => b.int32()) })),
      configs: x.array((c) => ({ name: c.string(), value: c.nullableString() })),
    }));
    r.int32(); // timeout
    const validateOnly = v >= 1 ? r.bool() : false;
    const seen = new Map<string, number>();
    for (const t of topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const w = new Writer();
    if (v >= 2) w.int32(0);
    w.array(topics, (x, t) => {
      const outcome = this.notController(node)
        ? {
            code: ErrorCode.NOT_CONTROLLER,
            message: "This is not the correct controller for this cluster.",
          }
        : seen.get(t.name)! > 1
          ? {
              code: ErrorCode.INVALID_REQUEST,
              message: `Create topics request from client contains multiple topics with the same name ${t.name}`,
            }
          : this.state.createTopic({ ...t, validateOnly });
      x.string(t.name).int16(outcome.code);
      if (v >= 1) x.nullableString(outcome.message);
    });
    return w.toBuffer();
  }

  private deleteTopics(r: Reader, v: number, node: number): Buffer {
    const names = r.array((x) => x.string());
    r.int32();
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.array(names, (x, name) => {
      const outcome = this.notController(node)
        ? { code: ErrorCode.NOT_CONTROLLER }
        : this.state.deleteTopic(name);
      x.string(name).int16(outcome.code);
    });
    return w.toBuffer();
  }

  private createPartitions(r: Reader, node: number): Buffer {
    const topics = r.array((x) => ({
      name: x.string(),
      count: x.int32(),
      assignments: x.nullableArray((a) => a.array((b) => b.int32())),
    }));
    r.int32();
    const validateOnly = r.bool();
    const w = new Writer().int32(0);
    w.array(topics, (x, t) => {
      const outcome = this.notController(node)
        ? {
            code: ErrorCode.NOT_CONTROLLER,
            message: "This is not the correct controller for this cluster.",
          }
        : this.state.createPartitions(t.name, t.count, validateOnly);
      x.string(t.name).int16(outcome.code).nullableString(outcome.message);
    });
    return w.toBuffer();
  }

  private describeConfigs(r: Reader, v: number): Buffer {
    const resources = r.array((x) => ({
      type: x.int8(),
      name: x.string(),
      keys: x.nullableArray((k) => k.string()),
    }));
    const includeSynonyms = v >= 1 ? r.bool() : false;
    const w = new Writer().int32(0);
    w.array(resources, (x, res) => {
      const described =
        res.type === 2
          ? this.state.describeTopicConfigs(res.name, res.keys)
          : res.type === 4
            ? { code: ErrorCode.NONE, message: null, entries: [] }
            : {
                code: ErrorCode.INVALID_REQUEST,
                message: `Unsupported resource type ${res.type}`,
                entries: [],
              };
      x.int16(described.code).nullableString(described.message).int8(res.type).string(res.name);
      x.array(described.entries, (c, e) => {
        c.string(e.name)
          .nullableString(e.sensitive ? null : e.value)
          .bool(e.readOnly);
        if (v === 0) c.bool(e.source === 5);
        else c.int8(e.source);
        c.bool(e.sensitive);
        if (v >= 1)
          c.array(includeSynonyms ? [e] : [], (s, syn) =>
            s.string(syn.name).nullableString(syn.value).int8(syn.source),
          );
      });
    });
    return w.toBuffer();
  }

  private alterConfigs(r: Reader, incremental: boolean): Buffer {
    const resources = r.array((x) => ({
      type: x.int8(),
      name: x.string(),
      configs: x.array((c) => ({
        name: c.string(),
        op: incremental ? c.int8() : 0,
        value: c.nullableString(),
      })),
    }));
    const validateOnly = r.bool();
    const w = new Writer().int32(0);
    w.array(resources, (x, res) => {
      const outcome =
        res.type !== 2
          ? { code: ErrorCode.INVALID_REQUEST, message: `Unsupported resource type ${res.type}` }
          : incremental
            ? this.state.incrementalAlterConfigs(res.name, res.configs, validateOnly)
            : this.state.alterConfigs(res.name, res.configs, validateOnly);
      x.int16(outcome.code).nullableString(outcome.message).int8(res.type).string(res.name);
    });
    return w.toBuffer();
  }

  private describeCluster(r: Reader): Buffer {
    r.bool(); // include_cluster_authorized_operations
    r.taggedFields();
    const w = new Writer().int32(0).int16(ErrorCode.NONE).compactNullableString(null);
    w.compactNullableString(this.state.clusterId).int32(this.state.controllerId);
    w.compactArray(this.state.nodeIds, (x, id) => {
      x.int32(id)
        .compactNullableString("127.0.0.1")
        .int32(this.ports[id]!)
        .compactNullableString(null)
        .emptyTags();
    });
    return w.int32(-2147483648).emptyTags().toBuffer();
  }
}
