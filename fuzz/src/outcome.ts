/**
 * Sorting what one input did. A parser fed hostile bytes may return, or throw a *typed* error:
 * one carrying a `code` from the target's closed list (BundleError, FrameError, AirlockError),
 * or a TypeError/RangeError in the boundary-assert format (`"name" expected ...`), which the
 * project documents for caller mistakes. Anything else thrown is a finding, and so is a typed
 * error whose code is not on the target's list, and a broken invariant (FuzzInvariantError).
 */

/** Thrown by a target when the parser returned something it must not (a property failed). */
export class FuzzInvariantError extends Error {
  override readonly name = "FuzzInvariantError";
}

export type Outcome =
  | { readonly kind: "ok"; readonly feature: string }
  | { readonly kind: "typed"; readonly feature: string }
  | { readonly kind: "finding"; readonly signature: string; readonly error: unknown };

const BOUNDARY_ASSERT = /^"[^"]+" expected /;

/** Digits and hex runs vary per input; the rest of a message names the code path taken. */
export function template(message: string): string {
  return message
    .replace(/[0-9a-f]{16,}/gi, "H")
    .replace(/[0-9]+/g, "N")
    .slice(0, 120);
}

function topFrame(e: Error): string {
  const lines = (e.stack ?? "").split("\n").slice(1);
  const ours = lines.find((l) => !l.includes("node:internal") && !l.includes("/fuzz/")) ?? lines[0] ?? "";
  return ours.trim().replace(/:\d+:\d+\)?$/, "").replace(/^at /, "");
}

export function classifyError(e: unknown, codes: ReadonlySet<string>): Outcome {
  if (e instanceof FuzzInvariantError) return { kind: "finding", signature: `invariant: ${template(e.message)}`, error: e };
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && codes.has(code)) return { kind: "typed", feature: `${code}:${template(e.message)}` };
    if ((e instanceof TypeError || e instanceof RangeError) && BOUNDARY_ASSERT.test(e.message) && code === undefined) {
      return { kind: "typed", feature: `${e.name}:${template(e.message)}` };
    }
    const what = typeof code === "string" ? `${e.name}[${code}] (not on this target's list)` : e.name;
    return { kind: "finding", signature: `${what}: ${template(e.message)} @ ${topFrame(e)}`, error: e };
  }
  return { kind: "finding", signature: `non-Error thrown: ${template(String(e))}`, error: e };
}
