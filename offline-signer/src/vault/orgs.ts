/**
 * Shared spaces between organizations, as the CLI reaches them (docs/spaces.md, "Shared spaces
 * between organizations"): creating one, admitting a member into an organization, and what the
 * fold says about organizations and pending space-level changes. The rules themselves are the
 * fold's (team/state.ts); these functions only resolve names and refuse early, with the same
 * reasons, what the fold would refuse anyway.
 */
import { AirlockError } from "@airlock/shared";
import { MAX_ORGS, MIN_ORGS, atLeast, type Role, type TeamEntry } from "../team/entry.js";
import { isSpaceLevel, orgAdmins, ruleOf, seatedOrgs, type TeamState } from "../team/state.js";
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
  throw vaultError("VAULT_NOT_FOUND", `no organization ${typeof ref === "number" ? `#${ref}` : `"${ref}"`} in ${state.name} (it has ${orgs.map((o, i) => `#${i} "${o}"`).join(", ")})`);
}

/** At most MAX_ORGS (16) organizations: two digits are every number there is. */
const ORG_NUMBER = /^[0-9]{1,2}$/;

/**
 * What `members add --org TEXT` names (review F9): an organization's name (ASCII case ignored),
 * else a decimal number, its index as the log and `members list --json` (`orgs[].index`) number
 * organizations: 0 is the space's first (its creator's), bounded by the organizations the space
 * has. A name wins over a number, so an organization called "1" is still found by its name.
 * VAULT_NOT_FOUND names every organization with its number.
 */
export function orgOfArgument(state: TeamState, text: string): number {
  const orgs = state.orgs;
  if (orgs !== undefined && !orgs.some((o) => fold(o) === fold(text)) && ORG_NUMBER.test(text)) return findOrg(state, Number(text));
  return findOrg(state, text);
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
  if (state.removedOrgs.has(org)) throw vaultError("VAULT_NOT_ALLOWED", `organization "${state.orgs[org]}" was removed from the space; nobody is added into it`);
  const mine = vault.me().user.org;
  if (org !== mine && orgAdmins(state, org) > 0) {
    throw vaultError("VAULT_NOT_ALLOWED", `"${state.orgs[org]}" has admins of its own: only they add its members (you are in "${state.orgs[mine ?? 0]}")`);
  }
  return vault.addMember(request, role, { org });
}

/** The organizations of a shared space; VAULT_BAD_ARGUMENT in a team. */
function orgsOf(state: TeamState): readonly string[] {
  if (state.orgs === undefined) throw vaultError("VAULT_BAD_ARGUMENT", `team ${state.name} is not a shared space: it has no organizations to add or remove`);
  return state.orgs;
}

function requireAdmin(vault: Vault, what: string): void {
  if (!atLeast(vault.me().user.role, "admin")) throw vaultError("VAULT_NOT_ALLOWED", `only admins ${what}`);
}

/**
 * `airlock spaces orgs add NAME` (docs/spaces.md, rule 6): a new organization, unseated until its
 * first admin is invited. A space-level change: it waits for every seated organization's approval
 * (or orgK of them). Refuses early what the fold would: a name taken (also by a removed
 * organization), the 16th organization reached.
 */
export function addOrg(vault: Vault, name: string): TeamEntry {
  const state = vault.requireTeam();
  const orgs = orgsOf(state);
  checkName(name, "organization name");
  const same = orgs.findIndex((o) => fold(o) === fold(name));
  if (same >= 0) throw vaultError("VAULT_BAD_ARGUMENT", `organization "${orgs[same]}" already exists in ${state.name}${state.removedOrgs.has(same) ? " (removed: its name stays taken)" : ""}`);
  if (orgs.length >= MAX_ORGS) throw vaultError("VAULT_BAD_ARGUMENT", `${state.name} already has ${MAX_ORGS} organizations, the most a space has (a removed one keeps its place)`);
  requireAdmin(vault, "add organizations");
  return vault.tx(() => vault.appendEntry({ type: "add-org", name }));
}

/**
 * `airlock spaces orgs remove NAME`: every member of the organization loses their rights, as with
 * `members remove` for each (cutoffs at what this vault has seen of their devices, every
 * collection they read rotated to those who stay). Only another organization's admin proposes it,
 * and it takes effect with the approval of at least two organizations besides the removed one
 * (min(orgK, the other seated ones)): with two organizations it is impossible.
 */
export function removeOrg(vault: Vault, ref: string | number): { entry: TeamEntry; org: number; members: number } {
  const state = vault.requireTeam();
  orgsOf(state);
  const org = findOrg(state, ref);
  const name = state.orgs![org]!;
  if (state.removedOrgs.has(org)) throw vaultError("VAULT_BAD_ARGUMENT", `organization "${name}" was already removed`);
  requireAdmin(vault, "remove organizations");
  const hint = "docs/spaces.md, rule 6: only the other organizations remove one, at least two of them together";
  if (vault.me().user.org === org) throw new AirlockError("VAULT_NOT_ALLOWED", `you are in "${name}": an organization does not propose its own removal; ask an admin of another organization`, { hint });
  const others = seatedOrgs(state).filter((o) => o !== org).length;
  if (others < 2) {
    throw new AirlockError("VAULT_NOT_ALLOWED", `removing "${name}" needs the approval of two other organizations with admins, and ${state.name} has ${others} besides it: one organization never expels another`, { hint });
  }
  const users = new Set([...state.users.values()].filter((u) => u.active && u.org === org).map((u) => u.id));
  const entry = vault.tx(() => {
    const { cutoffs, rekeys } = vault.removalOf(users);
    return vault.appendEntry({ type: "remove-org", org, cutoffs, rekeys });
  });
  return { entry, org, members: users.size };
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
  /** The `remove-org` entry that removed it (docs/spaces.md, rule 6); undefined while it is in the space. */
  readonly removed: string | undefined;
}

export function orgViews(state: TeamState): OrgView[] {
  return (state.orgs ?? []).map((name, index) => ({
    index,
    name,
    members: [...state.users.values()].filter((u) => u.active && u.org === index).length,
    admins: orgAdmins(state, index),
    seated: state.seats.get(index),
    removed: state.removedOrgs.get(index),
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
  // A removal neither waits for nor counts the organization it removes (docs/spaces.md, rule 6).
  const rule = ruleOf(state, p.entry.body, author);
  if (rule.exclude !== undefined) approved.delete(rule.exclude);
  const waiting = [...state.seats.keys()].filter((o) => !approved.has(o) && o !== rule.exclude && orgAdmins(state, o) > 0).sort((a, b) => a - b);
  return { approved: [...approved].sort((a, b) => a - b), waiting, required: rule.orgs };
}
