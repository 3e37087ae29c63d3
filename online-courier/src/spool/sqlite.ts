/**
 * The slice of better-sqlite3 the spool uses, typed here because the package ships no types
 * and none are installed (adding @types/better-sqlite3 would make the expect-error below fail,
 * which is the signal to switch to them).
 */
// @ts-expect-error -- better-sqlite3 12 has no bundled .d.ts; SqliteOpen below types what we use.
import BetterSqlite3 from "better-sqlite3";

export interface RunResult {
  readonly changes: number;
}

export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate: (...args: A) => R };
  close(): void;
  readonly open: boolean;
}

type SqliteOpen = new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => SqliteDatabase;

export const openSqlite = (filename: string): SqliteDatabase => new (BetterSqlite3 as SqliteOpen)(filename, { timeout: 5000 });
