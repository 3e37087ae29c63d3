/**
 * Who may leave a space without leaving it stuck (docs/spaces.md, "Storage"; rule 2): the check
 * `airlock spaces leave` makes before marking a space. Only team types here, so the CLI and tests
 * use it without loading a vault.
 */
import { quoted, safe } from "@airlock/shared";
import type { TeamState, UserState } from "../team/state.js";

/** Why `user` must not leave (a sentence, and what to do instead), or undefined when it may. */
export interface LeaveRefusal {
  readonly message: string;
  readonly hint: string;
}

const isAdmin = (u: UserState): boolean => u.role === "admin" || u.role === "owner";

/**
 * Refuses the last active admin or owner with an active device while others remain: nobody would
 * be left to admit, remove or approve (review M5). In a shared space "last" is per organization,
 * and it holds even when nobody else of that organization remains: an organization whose only
 * admin left stays seated with no laptop, so every space-level change would wait for its approval
 * for good, and with two organizations nobody could remove it (rule 6).
 */
export function leaveRefusal(state: TeamState, user: UserState, spaceName: string): LeaveRefusal | undefined {
  if (!isAdmin(user)) return undefined;
  const others = [...state.users.values()].filter((u) => u.active && u.id !== user.id);
  if (others.length === 0) return undefined;
  const hasDevice = (u: UserState): boolean => [...state.devices.values()].some((d) => d.user === u.id && d.active);
  const sameOrg = state.orgs === undefined ? others : others.filter((u) => u.org === user.org);
  if (sameOrg.some((u) => isAdmin(u) && hasDevice(u))) return undefined;
  const where = safe`in space ${quoted(spaceName)}`;
  const role = `airlock members role NAME admin --space ${JSON.stringify(spaceName)}`;
  if (state.orgs === undefined || user.org === undefined) {
    return { message: `you are the last admin or owner ${where}, and others remain`, hint: `make someone else admin first (${role}), or leave anyway with --force` };
  }
  const org = quoted(state.orgs[user.org] ?? "?");
  if (sameOrg.length > 0) {
    return { message: safe`you are the last admin or owner of ${org} ` + `${where}, and others remain`, hint: `make someone else admin first (${role}), or leave anyway with --force` };
  }
  return {
    message:
      safe`you are the only admin of ${org} ` +
      `${where}: it would stay in the space with no laptop, and every change that needs each organization's approval (policies, thresholds, seating, organizations) would wait for it for good`,
    hint: safe`admit a colleague as ${org}'s admin first, or ask the other organizations to remove it (airlock spaces orgs remove, which needs two of them); --force leaves anyway`,
  };
}
