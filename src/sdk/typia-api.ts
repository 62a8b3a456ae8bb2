/**
 * The part of typia's type tags that Moose models use (`import { tags } from "typia"`). The
 * model loader resolves `typia` to this file, so projects type-check without typia installed;
 * the tags are phantom brands read by the type checker like the rest of the SDK's helpers.
 * Validation-only tags are accepted and have no effect on the column type.
 */
/* eslint-disable @typescript-eslint/no-namespace -- mirrors typia's public `tags` namespace */
export namespace tags {
  /** `uuid` -> UUID, `ipv4`/`ipv6`, `date` -> Date32, `date-time` -> DateTime64(9). */
  export type Format<F extends string> = { readonly __moose_format?: F };
  /** `int32`, `uint32`, `int64`, `uint64`, `float`, `double`. */
  export type Type<T extends string> = { readonly __moose_typia_type?: T };
  export type Pattern<P extends string> = { readonly __moose_validation_pattern?: P };
  export type MinLength<N extends number> = { readonly __moose_validation_min_length?: N };
  export type MaxLength<N extends number> = { readonly __moose_validation_max_length?: N };
  export type Minimum<N extends number> = { readonly __moose_validation_minimum?: N };
  export type Maximum<N extends number> = { readonly __moose_validation_maximum?: N };
  export type ExclusiveMinimum<N extends number> = {
    readonly __moose_validation_exclusive_minimum?: N;
  };
  export type ExclusiveMaximum<N extends number> = {
    readonly __moose_validation_exclusive_maximum?: N;
  };
  export type MultipleOf<N extends number> = { readonly __moose_validation_multiple_of?: N };
  export type MinItems<N extends number> = { readonly __moose_validation_min_items?: N };
  export type MaxItems<N extends number> = { readonly __moose_validation_max_items?: N };
}

/*
 * typia's validation API, as types only. Moose runs these through typia's compiler transform;
 * the migration tool does not validate data, so at load time the loader's typia shim returns
 * functions that refuse when called. Declared here so code that builds validators type-checks.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- typia's own signatures are generic over any input */
export namespace IValidation {
  export interface IError {
    path: string;
    expected: string;
    value: any;
  }
  export interface ISuccess<T> {
    success: true;
    data: T;
  }
  export interface IFailure {
    success: false;
    data: unknown;
    errors: IError[];
  }
}
export type IValidation<T = unknown> = IValidation.ISuccess<T> | IValidation.IFailure;
export declare class TypeGuardError extends Error {
  readonly method: string;
  readonly path: string | undefined;
  readonly expected: string;
  readonly value: any;
}
export declare function assert<T>(input: unknown): T;
export declare function assertGuard<T>(input: unknown): asserts input is T;
export declare function is<T>(input: unknown): input is T;
export declare function validate<T>(input: unknown): IValidation<T>;
export declare function createAssert<T>(): (input: unknown) => T;
export declare function createIs<T>(): (input: unknown) => input is T;
export declare function createValidate<T>(): (input: unknown) => IValidation<T>;
export declare function random<T>(): T;
export declare const json: Record<string, (...args: any[]) => any>;
export declare const misc: Record<string, (...args: any[]) => any>;
export declare const http: Record<string, (...args: any[]) => any>;
export declare const llm: Record<string, (...args: any[]) => any>;
