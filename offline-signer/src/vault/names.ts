/**
 * The rule for every name people read to tell each other apart: a member's, the team's, a
 * collection's. 1..256 characters, not only spaces, and none of the characters that could
 * disguise it on a screen — controls, direction overrides, invisible format characters
 * (shared/src/text/escape.ts, `hasUnsafeText`). The join request parser and the team-entry
 * codec apply the same predicate to names that arrive from other vaults.
 */
import { firstUnsafe, quoted } from "@airlock/shared";
import { vaultError } from "./errors.js";

export const MAX_NAME_LENGTH = 256;

/** Returns `name` unchanged, or throws VAULT_BAD_ARGUMENT (length) / VAULT_UNSAFE_NAME naming `field`. */
export function checkName(name: string, field: string): string {
  if (typeof name !== "string" || name.trim().length === 0 || name.length > MAX_NAME_LENGTH) {
    throw vaultError("VAULT_BAD_ARGUMENT", `the ${field} must be 1..${MAX_NAME_LENGTH} characters`);
  }
  const bad = firstUnsafe(name);
  if (bad !== undefined) throw vaultError("VAULT_UNSAFE_NAME", `the ${field} ${quoted(name.slice(0, 80))} holds ${bad}, a control or invisible character names may not hold`);
  return name;
}
