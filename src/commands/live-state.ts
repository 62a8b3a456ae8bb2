import type { ClickHousePort } from "../adapters/clickhouse";
import type { InfraMap } from "../core/infra-map";
import { sqlKeyOffline, unqualify } from "../core/normalize";
import { reconcile, type Reconciled } from "../core/reconcile";
import { introspectClickHouse, type LiveSchema } from "../introspect/clickhouse";
import { managedDatabases, type ProjectContext } from "./context";
import type { KafkaPort } from "../adapters/kafka";
import { reconcileTopics } from "../core/topics";
import { introspectTopics } from "../introspect/kafka";

/**
 * Comparison key of view SELECTs after ClickHouse's own formatter, read in one query for all
 * the texts at hand. ClickHouse stores a view's SELECT with table names qualified by their
 * database and function names canonicalized, so the key also drops those qualifiers and case.
 */
export const clickHouseSqlKey = async (
  ch: ClickHousePort,
  texts: readonly string[],
  databases: readonly string[],
): Promise<(sql: string) => string> => {
  const unique = [...new Set(texts)];
  const formatted = new Map<string, string>();
  if (unique.length > 0) {
    const rows = await ch.query<{ f: (string | null)[] }>(
      "SELECT arrayMap(x -> formatQuerySingleLineOrNull(x), {sqls:Array(String)}) AS f",
      { sqls: unique },
    );
    rows[0]?.f.forEach((f, i) => {
      if (f !== null) formatted.set(unique[i]!, f);
    });
  }
  return (sql) => sqlKeyOffline(unqualify(formatted.get(sql) ?? sql, databases));
};

const selectsOf = (map: InfraMap): string[] => [
  ...Object.values(map.views).map((v) => v.selectSql),
  ...Object.values(map.materialized_views).map((v) => v.selectSql),
];

export interface LiveState extends Reconciled {
  schema: LiveSchema;
  sqlKey: (sql: string) => string;
}

/**
 * Introspects the target (ClickHouse, and Kafka when given) and reconciles it with the applied
 * state (Moose's reality check). Without Kafka the topics are what the applied files say.
 */
export const readLiveState = async (
  ctx: ProjectContext,
  ch: ClickHousePort,
  applied: InfraMap,
  code: InfraMap,
  kafka?: KafkaPort,
): Promise<LiveState> => {
  const databases = managedDatabases(ctx);
  const schema = await introspectClickHouse(ch, databases, ctx.defaultDb);
  const texts = [
    ...selectsOf(applied),
    ...selectsOf(code),
    ...[...schema.views.values()].map((v) => v.selectSql),
    ...[...schema.materializedViews.values()].map((v) => v.selectSql),
  ];
  const sqlKey = texts.length > 0 ? await clickHouseSqlKey(ch, texts, databases) : sqlKeyOffline;
  const ignore = ctx.config.migration_config.ignore_operations;
  const olap = reconcile(applied, schema, code, sqlKey, ignore);
  olap.state.topics = structuredClone(applied.topics);
  if (kafka) {
    const namespace = kafka.target.namespace;
    const topics = reconcileTopics(applied, await introspectTopics(kafka, namespace), namespace);
    olap.state.topics = topics.topics;
    olap.drift.push(...topics.drift);
  }
  return { ...olap, schema, sqlKey };
};
