/**
 * moose-lib's `/testing` entry point: ClickHouse benchmarking and profiling helpers. They need
 * a running ClickHouse, so they are not available while models load; `percentile` is pure.
 */
import type { QueryClient } from "./clients";
import { rejectNotAvailable } from "./inert";
import type { Sql } from "./sql";

export interface ProfileResult {
  readonly queryId: string;
  readonly readRows: number;
  readonly readBytes: number;
  readonly memoryUsage: number;
  readonly durationMs: number;
  readonly resultRows: number;
  readonly diskReadUs: number;
  readonly osReadBytes: number;
}
export interface BenchmarkResult {
  readonly profiles: readonly ProfileResult[];
  readonly p50: number;
  readonly p95: number;
}
export interface ExplainResult {
  readonly indexCondition: string;
  readonly selectedGranules: number;
  readonly totalGranules: number;
  readonly granuleSkipPct: number;
  readonly rawPlan: string;
}
export interface TableStats {
  readonly table: string;
  readonly rows: number;
  readonly parts: number;
  readonly diskSize: string;
}
export interface TestReportTarget {
  readonly host: string;
  readonly database: string;
}
export interface TestReport {
  readonly timestamp: string;
  readonly target: TestReportTarget;
  tests: Record<string, unknown>;
}
export interface TestReporterOptions {
  prefix: string;
  outputDir: string;
  target?: TestReportTarget;
}

/** The nearest-rank p-th percentile (0 for no values). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, rank)]!;
}

export function explain(_queryClient: QueryClient, _query: Sql): Promise<ExplainResult> {
  return rejectNotAvailable("explain");
}
export function profileQuery(_queryClient: QueryClient, _query: Sql): Promise<string> {
  return rejectNotAvailable("profileQuery");
}
export function resolveProfiles(
  _queryClient: QueryClient,
  _queryIds: string[],
): Promise<ProfileResult[]> {
  return rejectNotAvailable("resolveProfiles");
}
export function profileBenchmark(
  _queryClient: QueryClient,
  _query: Sql,
  _runs: number,
): Promise<BenchmarkResult> {
  return rejectNotAvailable("profileBenchmark");
}
export function tableStats(_queryClient: QueryClient, _table: string): Promise<TableStats> {
  return rejectNotAvailable("tableStats");
}

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];

/** Collects results in memory; writing the report file is not available while models load. */
export function createTestReporter(options: TestReporterOptions): {
  results: TestReport;
  flush: () => Promise<string>;
} {
  const results: TestReport = {
    timestamp: new Date().toISOString(),
    target: options.target ?? {
      host: env("MOOSE_CLICKHOUSE_CONFIG__HOST") ?? "localhost",
      database: env("MOOSE_CLICKHOUSE_CONFIG__DB_NAME") ?? "local",
    },
    tests: {},
  };
  return { results, flush: () => rejectNotAvailable("TestReporter.flush") };
}
