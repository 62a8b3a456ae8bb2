/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's task graph types use any inputs/outputs */
/**
 * Workflows run in Moose's Temporal worker. Loading them here only records them (with
 * moose-lib's task-graph checks); nothing runs.
 */
import { rejectNotAvailable } from "./inert";
import type { OlapTable } from "./olap-table";
import { declared } from "./registry";

/** What a task's `run` receives: shared state, and the input unless the task takes none. */
export type TaskContext<TInput> = TInput extends null
  ? { state: any; input?: null }
  : { state: any; input: TInput };

/** A task's behaviour (moose-lib's dmv2 `TaskConfig<T, R>`). */
export interface WorkflowTaskConfig<T, R> {
  run: (context: TaskContext<T>) => Promise<R>;
  /** Tasks run after this one, receiving its result (null when it returns nothing). */
  onComplete?: (Task<R extends void ? null : R, any> | Task<R extends void ? null : R, void>)[];
  onCancel?: (context: TaskContext<T>) => Promise<void>;
  timeout?: string;
  retries?: number;
}

/** One step of a workflow, taking `T` and producing `R`. */
export class Task<T, R> {
  readonly name: string;
  readonly config: WorkflowTaskConfig<T, R>;
  constructor(name: string, config: WorkflowTaskConfig<T, R>) {
    this.name = name;
    this.config = config;
  }
}

export interface WorkflowConfig {
  startingTask: Task<null, any> | Task<null, void> | Task<any, any> | Task<any, void>;
  retries?: number;
  timeout?: string;
  /** Cron-style schedule. */
  schedule?: string;
}

/**
 * A graph of tasks from a starting task. Workflows are not part of the migration plan, so
 * moose-lib's task-graph checks are left to Moose: any workflow loads.
 */
export class Workflow {
  readonly name: string;
  readonly config: WorkflowConfig;
  sourceFile?: string;
  sourceLine?: number;
  sourceColumn?: number;

  constructor(name: string, config: WorkflowConfig) {
    this.name = name;
    this.config = config;
    const workflows = declared("workflows");
    if (!workflows.has(name)) workflows.set(name, this);
  }
}

export interface ETLPipelineConfig<T, U> {
  extract: AsyncIterable<T> | (() => AsyncIterable<T>);
  transform: (sourceData: T) => Promise<U>;
  load: ((data: U[]) => Promise<void>) | OlapTable<U>;
}

/**
 * Extract → transform → load as a workflow named `name` (tasks `<name>_extract`,
 * `<name>_transform`, `<name>_load`, as Moose builds it). The source is not touched here.
 */
export class ETLPipeline<T, U> {
  readonly name: string;
  readonly config: ETLPipelineConfig<T, U>;

  constructor(name: string, config: ETLPipelineConfig<T, U>) {
    this.name = name;
    this.config = config;
    const step = (suffix: string) =>
      new Task<any, any>(`${name}_${suffix}`, {
        run: () => rejectNotAvailable(`ETLPipeline task ${name}_${suffix}`),
        retries: 1,
        timeout: "30m",
      });
    const extract = step("extract");
    const transform = step("transform");
    const load = step("load");
    extract.config.onComplete = [transform];
    transform.config.onComplete = [load];
    new Workflow(name, { startingTask: extract, retries: 1, timeout: "30m" });
  }

  run(): Promise<void> {
    return rejectNotAvailable("ETLPipeline.run");
  }
}

/** Legacy (pre-dmv2) task function. */
export interface TaskFunction {
  (input?: any): Promise<{ task: string; data: any }>;
}
/** Legacy (pre-dmv2) task settings. */
export interface TaskConfig {
  retries: number;
}
/** Legacy (pre-dmv2) task definition. */
export interface TaskDefinition {
  task: TaskFunction;
  config?: TaskConfig;
}
