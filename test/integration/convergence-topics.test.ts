/**
 * The central property for topics: for random evolutions of streams (added, removed, grown,
 * re-configured, re-versioned, protected), generate → migrate → introspect → generate is empty
 * after every step, and the broker holds exactly what the code declares. Seeded; runs on the
 * in-process broker (or KAFKA_BROKERS). TOPIC_CONVERGENCE_RUNS sets the number of evolutions.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../support/golden";
import { gen, mig, setModel } from "../support/run";
import { redpandaConfig, startKafka, type KafkaFixture } from "../support/kafka/fixture";

const RUNS = Number(process.env.TOPIC_CONVERGENCE_RUNS ?? 4);

interface StreamSpec {
  growBy: number;
  retention: number;
  version: string | null;
  protect: boolean;
  extraField: boolean;
}
const stream = fc.record({
  growBy: fc.integer({ min: 0, max: 2 }),
  retention: fc.constantFrom(60, 3600, 86400, 604800),
  version: fc.constantFrom(null, "1.0", "2.0"),
  protect: fc.boolean(),
  extraField: fc.boolean(),
});
const step = fc.dictionary(fc.constantFrom("alpha", "beta", "gamma"), stream, { maxKeys: 3 });
const evolution = fc.array(step, { minLength: 2, maxLength: 4 });

let kafka: KafkaFixture;
beforeAll(async () => {
  kafka = await startKafka();
});
afterAll(async () => {
  await kafka?.stop();
});

const STARTED = Date.now().toString(36);

describe("topic convergence (property)", () => {
  it(
    `holds over random stream evolutions (seeded, ${RUNS} runs)`,
    async () => {
      const runs = fc.sample(evolution, { numRuns: RUNS, seed: 4242 });
      for (const [run, steps] of runs.entries()) {
        // Each run has its own namespace: protected topics of earlier runs stay on the broker.
        const namespace = `${kafka.namespace}r${run}`;
        // The embedded engine's directory outlives the process: a reused pid must not find an
        // earlier run's database, so the name also carries this process's start time.
        const root = makeProject({
          config: `[clickhouse_config]\ndb_name = "ktc_${process.pid}_${STARTED}_${run}"\n\n${redpandaConfig(kafka, "", namespace)}`,
        });
        // Partitions only grow: each topic id keeps its running count across steps.
        const partitions = new Map<string, number>();
        const protectedIds = new Set<string>();
        for (const [i, s] of steps.entries()) {
          const declared = Object.entries(s).map(([name, spec]: [string, StreamSpec]) => {
            const id = spec.version ? `${name}_${spec.version.replace(".", "_")}` : name;
            const count = (partitions.get(id) ?? 1) + spec.growBy;
            partitions.set(id, count);
            return { name, id, count, spec };
          });
          // A fully managed topic the code dropped is deleted (a later one starts afresh); a
          // protected one stays on the broker with its partitions.
          for (const id of [...partitions.keys()])
            if (!declared.some((d) => d.id === id) && !protectedIds.has(id)) partitions.delete(id);
          for (const d of declared)
            if (d.spec.protect) protectedIds.add(d.id);
            else protectedIds.delete(d.id);
          setModel(
            root,
            `import { Stream, Key, LifeCycle } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export interface EvX { id: Key<string>; n: number; extra?: string }
${declared
  .map(
    ({ name, count, spec }) =>
      `export const ${name} = new Stream<${spec.extraField ? "EvX" : "Ev"}>("${name}", { parallelism: ${count}, retentionPeriod: ${spec.retention}${spec.version ? `, version: "${spec.version}"` : ""}${spec.protect ? ", lifeCycle: LifeCycle.DELETION_PROTECTED" : ""} });`,
  )
  .join("\n")}`,
          );
          const label = `run ${run} step ${i}: ${JSON.stringify(s)}`;
          await gen(root);
          await mig(root);
          expect((await gen(root, { save: false })).status, label).toBe("no-changes");
          for (const d of declared) {
            const live = await kafka.describe(`${namespace}.${d.id}`);
            expect(live?.partitions, `${label}: ${d.id}`).toBe(d.count);
            expect(live?.dynamic["retention.ms"], `${label}: ${d.id}`).toBe(
              String(d.spec.retention * 1000),
            );
          }
        }
      }
    },
    Math.max(240_000, RUNS * 15_000),
  );
});
