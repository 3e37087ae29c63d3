/**
 * One request, one space (docs/spaces.md, "Storage"): a join request whose keys already belong to
 * a team in another space of this vault is refused (`SPACE_LINKED`), since admitting it would put
 * the same device key in two teams. Used by `airlock members add` / `devices add`
 * (commands/base.ts) and by the TUI's team screen before anything is signed (review F6).
 *
 * Imports spaces.ts: only commands and the TUI may import this module, never vault-side code
 * (spaces.ts imports vault.ts, which would make a cycle).
 */
import { AirlockError, quoted } from "@airlock/shared";
import type { Vault } from "../vault/vault.js";
import { allSpaces, openSpace } from "./spaces.js";

/**
 * Throws SPACE_LINKED when one of `keys` (a request's device keys, and its user key for a new
 * member) is this vault's own device in another space, or a device or member of that space's team.
 * `first` is the vault's first space, `here` the id of the space admitting ("" for the first),
 * which is not looked into. A space that does not open (damaged) knows nobody and is passed over:
 * `airlock spaces list` reports it.
 */
export function refuseLinked(first: Vault, here: string, keys: readonly Uint8Array[]): void {
  const hexes = keys.map((k) => Buffer.from(k).toString("hex"));
  for (const ref of allSpaces(first)) {
    if (ref.id === here) continue;
    let other: Vault;
    try {
      other = ref.id === "" ? first : openSpace(first, ref);
    } catch {
      continue;
    }
    try {
      const state = other.teamId === undefined ? undefined : other.state();
      const own = hexes.some((h) => h === other.deviceId);
      if (own || (state !== undefined && hexes.some((h) => state.devices.has(h) || state.users.has(h)))) {
        throw new AirlockError("SPACE_LINKED", `this join request's keys are already in space ${quoted(ref.name)} of this vault`, {
          hint: "a laptop makes one request per space (`airlock spaces join NAME` there), so no key links two spaces; admit each request into its own space only",
        });
      }
    } finally {
      if (other !== first) other.close();
    }
  }
}
