/** Helpers the format tests share (no test framework here, so the build may include it). */
import { readFileSync } from "node:fs";

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What `run` settled with: the value it returned, or the error it threw. */
export async function settle(run: () => Promise<unknown>): Promise<{ value: unknown; error: unknown }> {
  try {
    return { value: await run(), error: undefined };
  } catch (error) {
    return { value: undefined, error };
  }
}

/** The typed error code and message of a failed settle, for one-line assertions. */
export function failure(s: { value: unknown; error: unknown }): { partial: unknown; code: unknown; message: string } {
  const e = s.error as { code?: unknown; message?: unknown } | undefined;
  return { partial: s.value, code: e?.code, message: typeof e?.message === "string" ? e.message : String(s.error) };
}
