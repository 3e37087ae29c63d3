/**
 * Shared spaces between organizations, as the CLI reaches them (docs/spaces.md, "Shared spaces
 * between organizations"): creating one, admitting a member into an organization, and what the
 * fold says about organizations and pending space-level changes. The rules themselves are the
 * fold's (team/state.ts); these functions only resolve names and refuse early, with the same
 * reasons, what the fold would refuse anyway.
 */
import { MAX_ORGS, MIN_ORGS, type Role, type TeamEntry } from "../team/entry.js";
import { isSpaceLevel, orgAdmins, type TeamState } from "../team/state.js";
import { vaultError } from "./errors.js";
import { checkName } from "./names.js";
import type { JoinRequest } from "./request.js";
import type { Vault } from "./vault.js";

/** ASCII case folded, as the entry codec compares organization names (two names may not differ only in it). */
const fold = (name: string): string => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * `airlock spaces create NAME --org A --org B [--org-k K]`: a shared space whose first
 * organization is the creator's. `orgK` = n (or none) asks every organization; 2..n-1 asks that
 * many. Throws VAULT_BAD_ARGUMENT for a count, a duplicate or a k the codec would refuse.
 */
export function initShared(vault: Vault, spaceName: string, userName: string, orgNames: readonly string[], orgK?: number): TeamState {
  if (orgNames.length < MIN_ORGS || orgNames.length > MAX_ORGS) {
    throw vaultError("VAULT_BAD_ARGUMENT", `a shared space names ${MIN_ORGS}..${MAX_ORGS} organizations (yours first), not ${orgNames.length}`);
  }
  for (const name of orgNames) checkName(name, "organization name");
  const seen = new Set<string>();
  for (const name of orgNames) {
    if (seen.has(fold(name))) throw vaultError("VAULT_BAD_ARGUMENT", `organization "${name}" is named twice`);
    seen.add(fold(name));
  }
  const n = orgNames.length;
  if (orgK !== undefined && (!Number.isSafeInteger(orgK) || orgK < 2 || orgK > n)) {
    throw vaultError("VAULT_BAD_ARGUMENT", `--org-k must be 2..${n} (how many of the ${n} organizations approve a space-level change; one alone never does)`);
  }
  return vault.init(spaceName, userName, { orgs: [...orgNames], orgK: orgK === undefined || orgK === n ? undefined : orgK });
}

/** The organization `ref` names in a shared space: its name (ASCII case ignored) or its index. */
export function findOrg(state: TeamState, ref: string | number): number {
  const orgs = state.orgs;
  if (orgs === undefined) throw vaultError("VAULT_BAD_ARGUMENT", `team ${state.name} is not a shared space: it has no organizations`);
  if (typeof ref === "number") {
    if (Number.isSafeInteger(ref) && ref >= 0 && ref < orgs.length) return ref;
  } else {
    const i = orgs.findIndex((o) => fold(o) === fold(ref));
    if (i >= 0) return i;
  }
  throw vaultError("VAULT_NOT_FOUND", `no organization ${typeof ref === "number" ? `#${ref}` : `"${ref}"`} in ${state.name} (it has ${orgs.map((o) => `"${o}"`).join(", ")})`);
}

/**
 * `airlock members add REQUEST --role ROLE [--org NAME]`: in a shared space the organization is
 * required (it is the member's for good); in a team it is refused. Into one's own organization,
 * or — as the invitation of another organization — its first admin while it has none.
 */
export function addMember(vault: Vault, request: Uint8Array, role: Role, options: { org?: string | number | undefined } = {}): { request: JoinRequest; entry: TeamEntry } {
  const state = vault.requireTeam();
  if (state.orgs === undefined) {
    if (options.org !== undefined) throw vaultError("VAULT_BAD_ARGUMENT", `team ${state.name} is not a shared space: leave out the organization`);
    return vault.addMember(request, role);
  }
  if (options.org === undefined) {
    throw vaultError("VAULT_BAD_ARGUMENT", `in a shared space every member belongs to an organization: name theirs (one of ${state.orgs.map((o) => `"${o}"`).join(", ")})`);
  }
  const org = findOrg(state, options.org);
  const mine = vault.me().user.org;
  if (org !== mine && orgAdmins(state, org) > 0) {
    throw vaultError("VAULT_NOT_ALLOWED", `"${state.orgs[org]}" has admins of its own: only they add its members (you are in "${state.orgs[mine ?? 0]}")`);
  }
  return vault.addMember(request, role, { org });
}

/** One organization of a shared space, for `airlock spaces` / `members list`. */
export interface OrgView {
  readonly index: number;
  readonly name: string;
  /** Active members, and how many of them are admins or owners. */
  readonly members: number;
  readonly admins: number;
  /** The entry that gave it its first admin; undefined while it waits for its invitation. */
  readonly seated: string | undefined;
}

export function orgViews(state: TeamState): OrgView[] {
  return (state.orgs ?? []).map((name, index) => ({
    index,
    name,
    members: [...state.users.values()].filter((u) => u.active && u.org === index).length,
    admins: orgAdmins(state, index),
    seated: state.seats.get(index),
  }));
}

/**
 * For a pending space-level proposal (hash hex): the organizations whose admins approved it and
 * the seated ones it still waits for (any `orgsRequired` of them must be covered, and the admin
 * threshold met). Undefined for anything else.
 */
export function proposalOrgs(state: TeamState, proposal: string): { approved: number[]; waiting: number[]; required: number } | undefined {
  const p = state.proposals.get(proposal);
  if (p === undefined || state.orgs === undefined) return undefined;
  const device = state.devices.get(Buffer.from(p.entry.author).toString("hex"));
  const author = device === undefined ? undefined : state.users.get(device.user);
  if (author === undefined || !isSpaceLevel(state, p.entry.body, author)) return undefined;
  const approved = new Set<number>();
  for (const id of p.approvers) {
    const org = state.users.get(id)?.org;
    if (org !== undefined) approved.add(org);
  }
  const waiting = [...state.seats.keys()].filter((o) => !approved.has(o) && orgAdmins(state, o) > 0).sort((a, b) => a - b);
  return { approved: [...approved].sort((a, b) => a - b), waiting, required: state.orgsRequired };
}
