/**
 * A minimal raw Kafka client for the APIs kafkajs does not implement (IncrementalAlterConfigs,
 * DescribeCluster): one request, one response, over a plain TCP socket.
 */
import net from "node:net";
import { Reader, Writer, frame } from "./codec";

export const rawRequest = (
  broker: string,
  apiKey: number,
  version: number,
  body: Buffer,
  flexible = false,
): Promise<Reader> =>
  new Promise((resolve, reject) => {
    const [host, port] = [
      broker.slice(0, broker.lastIndexOf(":")),
      broker.slice(broker.lastIndexOf(":") + 1),
    ];
    const socket = net.connect(Number(port), host);
    const header = new Writer().int16(apiKey).int16(version).int32(7).nullableString("raw-test");
    if (flexible) header.emptyTags();
    let got = Buffer.alloc(0);
    socket.on("connect", () => socket.write(frame(Buffer.concat([header.toBuffer(), body]))));
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        socket.end();
        const r = new Reader(got.subarray(4, 4 + got.readInt32BE(0)));
        if (r.int32() !== 7) reject(new Error("correlation id mismatch"));
        if (flexible) r.taggedFields();
        resolve(r);
      }
    });
    socket.on("error", reject);
  });

/** IncrementalAlterConfigs v0 on one topic: ops 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT. */
export const incrementalAlterTopic = async (
  broker: string,
  topic: string,
  ops: { name: string; op: number; value: string | null }[],
): Promise<{ code: number; message: string | null }> => {
  const body = new Writer()
    .array([topic], (w, t) =>
      w
        .int8(2)
        .string(t)
        .array(ops, (c, o) => c.string(o.name).int8(o.op).nullableString(o.value)),
    )
    .bool(false)
    .toBuffer();
  const r = await rawRequest(broker, 44, 0, body);
  r.int32();
  const [res] = r.array((x) => ({
    code: x.int16(),
    message: x.nullableString(),
    type: x.int8(),
    name: x.string(),
  }));
  return { code: res!.code, message: res!.message };
};

/** DescribeCluster v0 (a flexible version): cluster id, controller and brokers. */
export const describeCluster = async (
  broker: string,
): Promise<{
  clusterId: string | null;
  controller: number;
  brokers: { id: number; port: number }[];
}> => {
  const r = await rawRequest(broker, 60, 0, new Writer().bool(false).emptyTags().toBuffer(), true);
  r.int32();
  const code = r.int16();
  r.compactNullableString();
  if (code !== 0) throw new Error(`DescribeCluster error ${code}`);
  const clusterId = r.compactNullableString();
  const controller = r.int32();
  const n = r.uvarint() - 1;
  const brokers: { id: number; port: number }[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.int32();
    r.compactNullableString();
    const port = r.int32();
    r.compactNullableString();
    r.taggedFields();
    brokers.push({ id, port });
  }
  return { clusterId, controller, brokers };
};
