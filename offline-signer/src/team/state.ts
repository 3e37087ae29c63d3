/**
 * The team state: a deterministic fold of the team log. Every vault holding the same entries
 * computes the same state, whatever order they arrived in. Rules and invariants:
 * docs/team-model.md.
 *
 * Order: entries are applied in a topological order of the parent links (Kahn's algorithm);
 * among entries whose parents are all applied, removals and demotions go first, then the
 * smallest hash. Each entry is checked against the state produced by the entries before it;
 * an entry that fails is recorded as rejected (with its reason) and changes nothing.
 *
 * Every member-authored field is judged against its author's rights at that point: an entry's
 * key grants are accepted one by one (a bad grant is dropped alone, the entry still applies),
 * only entries that may rotate keys introduce new ones, and the collection's keys and who holds
 * each are part of the state — so the key writers use is chosen here, not by what a vault opened.
 */
import { ed25519Verify, equalBytes } from "@airlock/bundle-format";
import { DEFAULT_APP, MAX_ORGS, atLeast, recoveryEnrolMessage, recoverySetMessage, roleRank, verifyDeviceCert, type Cutoff, type DeviceKeys, type EntryBody, type KeyGrant, type Role, type TeamEntry } from "./entry.js";

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

export interface UserState {
  readonly id: string;
  readonly name: string;
  role: Role;
  active: boolean;
  /** In a shared space, the member's organization: an index into `TeamState.orgs` (docs/spaces.md); undefined in a team. */
  readonly org: number | undefined;
}

export interface DeviceState {
  readonly id: string;
  readonly keys: DeviceKeys;
  readonly user: string;
  active: boolean;
  /** Highest changeset seq of this device still accepted, once it was revoked or its user removed. */
  cutoff: number | undefined;
  /**
   * Every accepted entry that took rights from this device (revocation, removal, demotion, a
   * raised write level) with the highest seq of it the author had seen. A changeset numbered
   * above a loss's seq is judged as if its author had seen that entry (docs/team-model.md, I4).
   */
  readonly losses: Loss[];
}

export interface Loss {
  readonly entry: string;
  readonly seq: number;
}

export interface GrantRecord {
  readonly entry: string;
  /** Position among the entry's grants for this collection (an entry may hold several). */
  readonly index: number;
  readonly grant: KeyGrant;
}

export interface KeyIntro {
  /** Key id (hex), as named in clear by the grant that introduced it. */
  readonly id: string;
  /** The entry that introduced it. */
  readonly entry: string;
}

export interface CollectionState {
  readonly id: string;
  readonly name: string;
  /** The app its records belong to (apps/registry.ts); fixed at creation. */
  readonly app: string;
  read: Role;
  write: Role;
  /** The accepted key grants for this collection, in log order. */
  readonly grants: GrantRecord[];
  /** Keys introduced for this collection, in log order: the last is the key writers should use. */
  readonly keys: KeyIntro[];
  /** Devices (hex) each key (id hex) was sealed to by an accepted grant. */
  readonly holders: Map<string, Set<string>>;
  /** Compactions, in log order (docs/decisions.md #30): the latest decides what newcomers receive. */
  readonly compactions: Compaction[];
}

export interface Compaction {
  /** The `compact` entry (hex). */
  readonly entry: string;
  readonly author: string;
  /** Per device (hex): the last changeset the snapshot covers. */
  readonly frontier: ReadonlyMap<string, { readonly seq: number; readonly id: string }>;
  /** The fresh key (id hex) the entry introduced, under which the snapshot is sealed; undefined if its grant was refused. */
  key: string | undefined;
}

export interface InvalidGrant {
  readonly entry: string;
  readonly collection: string;
  readonly reason: string;
}

/** A transport key generation a `transport-key` entry introduced (docs/transport-key.md, "Generations"). */
export interface TransportGeneration {
  /** Key id (hex), as the entries name it in clear. */
  readonly id: string;
  /** The entry that introduced it, and its time. */
  readonly entry: string;
  readonly time: number;
  /** Devices (hex) an accepted entry sealed it to. */
  readonly holders: Set<string>;
}

/** Active couriers a team may have (docs/transport-key.md, "Couriers"). */
export const MAX_ACTIVE_COURIERS = 64;

/** A courier of the team (docs/transport-key.md, "Couriers"). */
export interface CourierState {
  /** Its X25519 public key (hex): what enrollments are sealed to. */
  readonly key: string;
  readonly name: string;
  /** The `courier` entry, its author device (hex) and time. */
  readonly entry: string;
  readonly author: string;
  readonly time: number;
  /** The `revoke-courier` entry, once it was retired. */
  revoked: string | undefined;
}

/** A member's recovery set (docs/recovery.md): the commitment the fold accepted, and what became of it. */
export interface RecoverySet {
  /** Set id (hex). */
  readonly id: string;
  /** The member (hex) whose identity signed it. */
  readonly user: string;
  /** The `recovery-set` entry (hex). */
  readonly entry: string;
  readonly threshold: number;
  /** The recovery public key a self-enrolment must be signed with. */
  readonly key: Uint8Array;
  /** Share hashes (hex), sorted. */
  readonly shares: readonly string[];
  /** A later set of the same member replaced it: only the newest set enrols. */
  superseded: boolean;
  /** The add-device entry that used it: a set enrols one device. */
  spent: string | undefined;
}

/**
 * Where `recoverySets` keeps a member's set. Set ids are public once in the log: keyed by id alone,
 * any member could sign a set of their own under another member's id, ordered first, and void it.
 */
export function recoverySetKey(user: string, set: Uint8Array | string): string {
  return `${user}:${typeof set === "string" ? set : hex(set)}`;
}

export interface Proposal {
  readonly entry: TeamEntry;
  readonly approvers: Set<string>;
}

export interface TeamState {
  readonly team: Uint8Array;
  readonly teamHex: string;
  name: string;
  readonly users: Map<string, UserState>;
  readonly devices: Map<string, DeviceState>;
  readonly collections: Map<string, CollectionState>;
  /** The threshold set with set-approvals. */
  approvalsSet: number;
  /** The threshold in force: the one set, but never more than there are active admins. */
  approvalsRequired: number;
  readonly proposals: Map<string, Proposal>;
  /** Hashes in application order (accepted and rejected). */
  readonly order: string[];
  readonly rejected: Map<string, string>;
  /** Grants of applied entries that were dropped, with why (the entry itself still applied). */
  readonly invalidGrants: InvalidGrant[];
  /** Entries not applied because a parent is missing. */
  readonly waiting: string[];
  /** Applied entries no other applied entry names as parent. */
  readonly heads: string[];
  /** Which entry made each change effective (an approval can make a proposal effective). */
  readonly effective: Map<string, string>;
  /** Recovery sets by recoverySetKey(member, set id), in log order (docs/recovery.md): an id is only unique per member. */
  readonly recoverySets: Map<string, RecoverySet>;
  /** Transport key generations 1, 2, ... in log order (generation n is transport[n - 1]); generation 0, the team's first key, is never in the log. */
  readonly transport: TransportGeneration[];
  /** Couriers the team enrolled, by X25519 public key (hex), in log order. */
  readonly couriers: Map<string, CourierState>;
  /**
   * A shared space's organizations (docs/spaces.md, "Shared spaces between organizations"): the
   * genesis's, then each accepted `add-org` appended (rule 6; a removed one keeps its index);
   * undefined for a team.
   */
  readonly orgs: string[] | undefined;
  /**
   * How many organizations approve a space-level change: the genesis's `orgK`, or all of them
   * (then equal to `orgs.length`, and raised with each `add-org`); undefined for a team.
   */
  orgK: number | undefined;
  /** Organizations removed by an accepted `remove-org` (index -> that entry): never re-seated, nobody added into them. */
  readonly removedOrgs: Map<number, string>;
  /** In force: min(orgK, organizations with an active admin), at least 1 (1 in a team). */
  orgsRequired: number;
  /**
   * Per organization (index): the entry at which it got its first admin (the genesis for the
   * creator's). Seated organizations are the ones space-level changes wait for; an organization
   * keeps an admin once it has one (its last admin is neither removed nor demoted).
   */
  readonly seats: Map<number, string>;
  /** Per space-level change that took effect: the organizations (indexes, sorted) whose admins approved it. */
  readonly orgApprovals: Map<string, readonly number[]>;
}

/**
 * Entries that take effect only with `approvalsRequired` admin approvals: everything that makes
 * or unmakes an admin, takes rights from another member (and so carries a cutoff that decides
 * which of their edits stand), or changes policy or the threshold itself.
 */
export function isCritical(state: TeamState, b: EntryBody, author: UserState): boolean {
  if (isSpaceLevel(state, b, author)) return true;
  switch (b.type) {
    case "add-member":
      return atLeast(b.role, "admin");
    case "add-device":
      // A recovered device enrols itself; where the team asks for approvals, admins approve it.
      return b.recovery !== undefined;
    case "remove-member":
    case "set-policy":
    case "compact":
    case "set-approvals":
      return true;
    case "revoke-device": {
      const d = state.devices.get(hex(b.device));
      return d !== undefined && d.user !== author.id;
    }
    case "set-role": {
      const target = state.users.get(hex(b.user));
      if (target === undefined) return atLeast(b.role, "admin");
      return atLeast(b.role, "admin") || atLeast(target.role, "admin") || roleRank(b.role) < roleRank(target.role);
    }
    default:
      return false;
  }
}

/** Active users whose role is admin or owner. */
export function activeAdmins(state: TeamState): number {
  let n = 0;
  for (const u of state.users.values()) if (u.active && atLeast(u.role, "admin")) n++;
  return n;
}

function required(state: TeamState): number {
  return Math.max(1, Math.min(state.approvalsSet, activeAdmins(state)));
}

// ---- shared spaces (docs/spaces.md, "Shared spaces between organizations") ----------------------

/**
 * Changes that concern every organization of a shared space, not one: a collection's policy (who
 * reads what all of them share), a compaction (which history newcomers of every organization
 * get), the approvals threshold, and seating an organization (its first admin, added by another
 * organization's admin: from then on that organization's approval counts). They take effect only
 * with approvals from `orgsRequired` organizations. False in a team.
 */
export function isSpaceLevel(state: TeamState, b: EntryBody, author: UserState): boolean {
  if (state.orgs === undefined) return false;
  switch (b.type) {
    case "set-policy":
    case "set-approvals":
    case "compact":
    case "add-org":
    case "remove-org":
      return true;
    case "add-member":
      return b.org !== undefined && b.org !== author.org;
    default:
      return false;
  }
}

/** Active members of organization `org` whose role is admin or owner. */
export function orgAdmins(state: TeamState, org: number): number {
  let n = 0;
  for (const u of state.users.values()) if (u.active && u.org === org && atLeast(u.role, "admin")) n++;
  return n;
}

/** Organizations with an active admin: the ones a space-level change waits for. */
export function seatedOrgs(state: TeamState): number[] {
  const out = new Set<number>();
  for (const u of state.users.values()) if (u.active && u.org !== undefined && atLeast(u.role, "admin")) out.add(u.org);
  return [...out].sort((a, b) => a - b);
}

function orgsRequired(state: TeamState): number {
  if (state.orgs === undefined || state.orgK === undefined) return 1;
  return Math.max(1, Math.min(state.orgK, seatedOrgs(state).length));
}

/** ASCII case folded, as the codec compares organization names. */
const foldCase = (name: string): string => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

const orgName = (state: TeamState, org: number | undefined): string => `"${state.orgs?.[org ?? -1] ?? `#${org}`}"`;

/**
 * How many approvals a critical change needs, and whose count. In a team: `required` admins.
 * In a shared space, a space-level change needs `required` admins of any organizations covering
 * `orgsRequired` organizations; any other critical change is internal to its author's
 * organization and needs min(k, that organization's active admins) of its admins.
 */
export interface Rule {
  readonly admins: number;
  readonly orgs: number;
  /** The organization whose admins count; undefined: any admin. */
  readonly scope: number | undefined;
  /** An organization whose admins neither count nor approve: the one a `remove-org` removes. */
  readonly exclude?: number | undefined;
}

/**
 * Removing organization `org` (docs/spaces.md, rule 6): approvers of at least two other
 * organizations, and of min(orgK, seated organizations other than it); its own admins neither
 * count nor veto, and the admin threshold counts only the others' admins. With fewer than two
 * other seated organizations it cannot take effect (orgProblem refuses it): one organization
 * alone never expels another.
 */
function removalRule(state: TeamState, org: number): Rule {
  const others = seatedOrgs(state).filter((o) => o !== org).length;
  let admins = 0;
  for (const u of state.users.values()) if (u.active && u.org !== undefined && u.org !== org && atLeast(u.role, "admin")) admins++;
  return { admins: Math.max(1, Math.min(state.approvalsSet, admins)), orgs: Math.max(2, Math.min(state.orgK ?? 2, others)), scope: undefined, exclude: org };
}

/** Whose approvals a critical change by `author` needs (docs/spaces.md, rules 3, 4 and 6). */
export function ruleOf(state: TeamState, b: EntryBody, author: UserState): Rule {
  if (state.orgs !== undefined && b.type === "remove-org") return removalRule(state, b.org);
  if (state.orgs === undefined || isSpaceLevel(state, b, author)) return { admins: required(state), orgs: orgsRequired(state), scope: undefined };
  return { admins: Math.max(1, Math.min(state.approvalsSet, orgAdmins(state, author.org ?? -1))), orgs: 1, scope: author.org };
}

/**
 * Whether an approval recorded earlier still counts: its author is still an active admin. One
 * removed or demoted since (or whose organization was removed, which removes its members) no
 * longer speaks for the team, so a pending change never takes effect on approvals of people
 * who have lost the right to give them (docs/team-model.md, I15).
 */
function stillApproves(state: TeamState, id: string): boolean {
  const u = state.users.get(id);
  return u !== undefined && u.active && atLeast(u.role, "admin");
}

/** Whether `approvers` (user ids) meet `rule`, counting only those who still approve; in a team, only their number counts. */
function satisfied(state: TeamState, rule: Rule, approvers: ReadonlySet<string>): boolean {
  if (state.orgs === undefined) {
    let admins = 0;
    for (const id of approvers) if (stillApproves(state, id)) admins++;
    return admins >= rule.admins;
  }
  let admins = 0;
  const orgs = new Set<number>();
  for (const id of approvers) {
    if (!stillApproves(state, id)) continue;
    const org = state.users.get(id)?.org;
    if (rule.scope !== undefined && org !== rule.scope) continue;
    if (rule.exclude !== undefined && org === rule.exclude) continue;
    admins++;
    if (org !== undefined) orgs.add(org);
  }
  return admins >= rule.admins && orgs.size >= rule.orgs;
}

/**
 * What an admin may do in a shared space on top of the table (docs/spaces.md): only to its own
 * organization's members and devices, except seating another organization's first admin. In a
 * team, an add-member naming an organization is refused.
 */
function orgProblem(state: TeamState, b: EntryBody, actor: UserState): string | undefined {
  if (state.orgs === undefined) {
    if (b.type === "add-org" || b.type === "remove-org") return `${b.type === "add-org" ? "adds" : "removes"} an organization, but this team is not a shared space (it has none)`;
    return b.type === "add-member" && b.org !== undefined ? "names an organization, but this team is not a shared space (it has none)" : undefined;
  }
  const own = actor.org;
  const orgOf = (user: string | undefined): number | undefined => (user === undefined ? undefined : state.users.get(user)?.org);
  switch (b.type) {
    case "add-member": {
      if (b.org === undefined) return "a shared space's add-member must name the member's organization";
      if (b.org >= state.orgs.length) return `names organization ${b.org}, but the space has ${state.orgs.length}`;
      // A removed organization's index stays taken for good (rule 6): nobody re-seats it or adds into it.
      if (state.removedOrgs.has(b.org)) return `organization ${orgName(state, b.org)} was removed from the space; nobody is added into it`;
      if (b.org === own) return undefined;
      if (orgAdmins(state, b.org) > 0) return `admins add members only to their own organization (${orgName(state, own)}); ${orgName(state, b.org)} has admins of its own`;
      if (!atLeast(b.role, "admin")) return `another organization adds only ${orgName(state, b.org)}'s first admin (it has none yet), not ${b.role === "editor" ? "an" : "a"} ${b.role}`;
      return undefined;
    }
    case "add-device": {
      const target = orgOf(hex(b.user));
      if (hex(b.user) === actor.id || target === undefined || target === own) return undefined;
      return `admins add devices only to members of their own organization (${orgName(state, own)}); this member is in ${orgName(state, target)}`;
    }
    case "revoke-device": {
      const d = state.devices.get(hex(b.device));
      const target = orgOf(d?.user);
      if (d === undefined || d.user === actor.id || target === own) return undefined;
      return `admins revoke only devices of their own organization's members (${orgName(state, own)}); this device's member is in ${orgName(state, target)}`;
    }
    case "remove-member":
    case "set-role": {
      const target = orgOf(hex(b.user));
      if (target === undefined || target === own) return undefined;
      return `admins ${b.type === "remove-member" ? "remove members" : "change roles"} only in their own organization (${orgName(state, own)}); this member is in ${orgName(state, target)}`;
    }
    case "remove-org": {
      if (b.org >= state.orgs.length) return `removes organization ${b.org}, but the space has ${state.orgs.length}`;
      if (state.removedOrgs.has(b.org)) return `organization ${orgName(state, b.org)} was already removed`;
      // Its member would choose the fresh keys the others go on using after it is gone.
      if (b.org === own) return `an organization does not propose its own removal (${orgName(state, own)}); another organization's admin proposes it`;
      const others = seatedOrgs(state).filter((o) => o !== b.org).length;
      if (others < 2) return `removing organization ${orgName(state, b.org)} needs the approval of two other seated organizations and the space has ${others} besides it: one organization never expels another`;
      return undefined;
    }
    case "revoke-courier": {
      const c = state.couriers.get(hex(b.key));
      const enroller = c === undefined ? undefined : state.devices.get(c.author)?.user;
      if (enroller === undefined || enroller === actor.id || orgOf(enroller) === own) return undefined;
      return `only an admin of its enroller's organization (${orgName(state, orgOf(enroller))}) or the member who enrolled a courier revokes it`;
    }
    default:
      return undefined;
  }
}

/** After a change took effect at `at` with `approvers`: which organizations approved a space-level one, and which organization it seated. */
function noteOrgs(state: TeamState, e: TeamEntry, author: UserState, approvers: ReadonlySet<string>, at: string): void {
  if (state.orgs === undefined) return;
  const b = e.body;
  if (isSpaceLevel(state, b, author)) {
    const orgs = new Set<number>();
    for (const id of approvers) {
      const org = stillApproves(state, id) ? state.users.get(id)?.org : undefined;
      if (org !== undefined) orgs.add(org);
    }
    state.orgApprovals.set(e.hashHex, [...orgs].sort((x, y) => x - y));
  }
  if ((b.type === "add-member" || b.type === "set-role") && atLeast(b.role, "admin")) {
    const org = state.users.get(hex(b.user))?.org;
    if (org !== undefined && !state.seats.has(org)) state.seats.set(org, at);
  }
}

const FIRST = new Set(["revoke-device", "remove-member", "set-role", "remove-org"]);

/**
 * Folds `entries` (all entries known, keyed by hash hex) for team `teamHex`. With `within`, only
 * those entries count: the state at a causal position is the fold of that position's ancestors.
 */
export function foldTeam(teamHex: string, entries: ReadonlyMap<string, TeamEntry>, within?: ReadonlySet<string>): TeamState {
  // An entry is applied where the order puts it, but its author may have lost the right to make
  // it in a concurrent entry that the order happens to put later (an entry can name old parents
  // on purpose). So the fold runs again with every entry that did not descend from such a loss
  // refused, until nothing changes (docs/team-model.md, I3/I4): at most once per entry, usually once.
  const refused = new Map<string, string>();
  for (;;) {
    const state = foldOnce(teamHex, entries, within, refused);
    const found = concurrentWithLosses(state, entries);
    if (found.size === 0) return state;
    for (const [h, why] of found) refused.set(h, why);
  }
}

/**
 * Applied entries made without knowledge of an accepted entry that took their author's right to
 * make them: a revocation of the author's device or removal of its user (anything), a demotion
 * (what the author's role now forbids), or a threshold above 1 (critical changes that took effect
 * alone). "Without knowledge" = the entry is not an ancestor of the loss; an entry that descends
 * from the loss was already judged after it.
 */
function concurrentWithLosses(state: TeamState, entries: ReadonlyMap<string, TeamEntry>): Map<string, string> {
  const out = new Map<string, string>();
  const past = new Map<string, Set<string>>();
  const pastOf = (h: string): Set<string> => {
    let set = past.get(h);
    if (set === undefined) past.set(h, (set = ancestors(entries, [h]) ?? new Set()));
    return set;
  };
  const thresholds = [...state.effective.entries()].filter(([h]) => entries.get(h)?.body.type === "set-approvals" && (entries.get(h)!.body as { k: number }).k > 1).map(([, at]) => at);
  for (const h of state.order) {
    if (state.rejected.has(h)) continue;
    const e = entries.get(h)!;
    if (e.body.type === "genesis") continue;
    const device = state.devices.get(hex(e.author));
    const user = device === undefined ? undefined : state.users.get(device.user);
    if (device === undefined || user === undefined) continue;
    for (const loss of device.losses) {
      if (loss.entry === h || pastOf(loss.entry).has(h)) continue;
      if (!device.active || !user.active) out.set(h, "made without knowing its author's device was revoked or its member removed (a concurrent entry)");
      else {
        const denied = permitted(state, e.body, user);
        if (denied !== undefined) out.set(h, `made without knowing its author was demoted: ${denied}`);
      }
      if (out.has(h)) break;
    }
    const at = state.effective.get(h);
    const approvedBy = state.orgApprovals.get(h);
    if (!out.has(h) && at !== undefined && approvedBy !== undefined && !state.rejected.has(at)) {
      // A space-level change that took effect without an organization whose first admin was
      // seated concurrently (old parents would otherwise let one organization act as if alone).
      const removing = e.body.type === "remove-org" ? e.body.org : undefined;
      for (const [org, seat] of state.seats) {
        if (org === removing || approvedBy.includes(org) || seat === at || pastOf(at).has(seat) || pastOf(seat).has(at)) continue;
        out.set(at, `a space-level change made without knowing organization ${orgName(state, org)} had its first admin (a concurrent entry); propose it again`);
        break;
      }
    }
    if (out.has(h) || state.effective.get(h) !== h || thresholds.length === 0 || !isCritical(state, e.body, user)) continue;
    // A critical change that took effect alone while a concurrent entry required approvals.
    if (thresholds.some((t) => t !== h && !pastOf(t).has(h) && !pastOf(h).has(t))) out.set(h, "a critical change made alone, concurrent with a threshold that requires approvals; propose it again");
  }
  return out;
}

function foldOnce(teamHex: string, entries: ReadonlyMap<string, TeamEntry>, within: ReadonlySet<string> | undefined, refused: ReadonlyMap<string, string>): TeamState {
  const genesis = entries.get(teamHex);
  if (genesis === undefined || genesis.body.type !== "genesis") throw new RangeError("the team's genesis entry is missing");
  const state: TeamState = {
    team: genesis.hash,
    teamHex,
    name: genesis.body.name,
    users: new Map(),
    devices: new Map(),
    collections: new Map(),
    approvalsSet: 1,
    approvalsRequired: 1,
    proposals: new Map(),
    order: [],
    rejected: new Map(),
    invalidGrants: [],
    waiting: [],
    heads: [],
    effective: new Map(),
    recoverySets: new Map(),
    transport: [],
    couriers: new Map(),
    orgs: genesis.body.orgs === undefined ? undefined : [...genesis.body.orgs],
    orgK: genesis.body.orgs === undefined ? undefined : (genesis.body.orgK ?? genesis.body.orgs.length),
    removedOrgs: new Map(),
    orgsRequired: 1,
    seats: new Map(),
    orgApprovals: new Map(),
  };
  const g = genesis.body;
  if (!equalBytes(genesis.author, g.device.sign) || !verifyDeviceCert(g.user, g.device)) {
    throw new RangeError("the genesis entry is not signed by the device it certifies");
  }
  const owner = hex(g.user);
  state.users.set(owner, { id: owner, name: g.userName, role: "owner", active: true, org: g.orgs === undefined ? undefined : 0 });
  if (g.orgs !== undefined) state.seats.set(0, teamHex);
  state.devices.set(hex(g.device.sign), newDevice(g.device, owner));
  logOf.set(state, entries);
  state.order.push(teamHex);

  const member = (h: string): boolean => (within === undefined || within.has(h)) && entries.has(h);
  const children = new Map<string, string[]>();
  const missing = new Map<string, number>();
  const candidates: string[] = [];
  for (const [h, e] of entries) {
    if (h === teamHex || !member(h)) continue;
    if (e.team === undefined || hex(e.team) !== teamHex) {
      state.rejected.set(h, "belongs to another team");
      continue;
    }
    candidates.push(h);
    let count = 0;
    for (const p of e.parents) {
      const ph = hex(p);
      count++;
      const list = children.get(ph);
      if (list === undefined) children.set(ph, [h]);
      else list.push(h);
    }
    missing.set(h, count);
  }
  const ready: string[] = [];
  const release = (h: string): void => {
    for (const c of children.get(h) ?? []) {
      const left = (missing.get(c) ?? 0) - 1;
      missing.set(c, left);
      if (left === 0) ready.push(c);
    }
  };
  release(teamHex);
  const rank = (h: string): string => `${FIRST.has(entries.get(h)!.body.type) ? "0" : "1"}${h}`;
  while (ready.length > 0) {
    ready.sort((a, b) => (rank(a) < rank(b) ? 1 : -1)); // smallest last, popped first
    const h = ready.pop()!;
    const e = entries.get(h)!;
    const reason = refused.get(h) ?? applyEntry(state, e);
    if (reason !== undefined) state.rejected.set(h, reason);
    state.order.push(h);
    release(h);
  }
  const applied = new Set(state.order);
  for (const h of candidates) if (!applied.has(h)) state.waiting.push(h);
  const hasChild = new Set<string>();
  for (const h of state.order) for (const p of entries.get(h)?.parents ?? []) hasChild.add(hex(p));
  for (const h of state.order) if (!hasChild.has(h)) state.heads.push(h);
  state.heads.sort();
  state.approvalsRequired = required(state);
  state.orgsRequired = orgsRequired(state);
  return state;
}

function newDevice(keys: DeviceKeys, user: string): DeviceState {
  return { id: hex(keys.sign), keys, user, active: true, cutoff: undefined, losses: [] };
}

function actorOf(state: TeamState, e: TeamEntry): { user: UserState } | string {
  const device = state.devices.get(hex(e.author));
  if (device === undefined) return e.body.type === "add-device" && e.body.recovery !== undefined ? selfEnrolment(state, e, e.body) : "signed by a key that is not a device of this team";
  if (!device.active) return "signed by a revoked or removed device";
  const user = state.users.get(device.user);
  if (user === undefined || !user.active) return "signed by a device of a removed member";
  return { user };
}

/**
 * The one entry a key that is not yet a device may sign (docs/team-model.md, "Recovery
 * enrolment"; docs/recovery.md): an add-device of itself, for a current member whose identity
 * certified it, proving with the recovery key of that member's newest unspent recovery set that
 * the set's shares were combined. The identity key alone never enrols a device: a thief holding
 * the lost laptop's identity key lacks the recovery key, which was split and never stored.
 * Returns the member it acts as, or why not.
 */
function selfEnrolment(state: TeamState, e: TeamEntry, b: Extract<EntryBody, { type: "add-device" }>): { user: UserState } | string {
  if (b.recovery === undefined) return "signed by a key that is not a device of this team";
  if (!equalBytes(e.author, b.device.sign)) return "a recovery enrolment is signed by the device it enrols";
  const user = state.users.get(hex(b.user));
  if (user === undefined || !user.active) return "a recovery enrolment for someone who is not a member";
  if (!verifyDeviceCert(b.user, b.device)) return "the device certificate does not verify under the member's identity";
  const set = state.recoverySets.get(recoverySetKey(user.id, b.recovery.set));
  if (set === undefined) return [...state.recoverySets.values()].some((s) => s.id === hex(b.recovery!.set)) ? "names another member's recovery set" : "names a recovery set this team does not know";
  // Newest among the sets the enrolment descends from: a set made concurrently (by whoever holds
  // the lost laptop, ordered first by its hash) never supersedes it; the enrolment's revocation
  // of that laptop then refuses it (docs/team-model.md, "Recovery enrolment").
  const past = pastOf(state, e);
  if (past === undefined || !past.entries.has(set.entry)) return "names a recovery set it does not descend from";
  let newest: RecoverySet | undefined;
  for (const s of state.recoverySets.values()) if (s.user === user.id && past.entries.has(s.entry)) newest = s;
  if (newest !== set) return "names a recovery set its member replaced with a newer one";
  if (set.spent !== undefined) return "names a recovery set that already enrolled a device (each set enrols one)";
  if (!ed25519Verify(set.key, recoveryEnrolMessage(state.team, b.recovery.set, b.device), b.recovery.sig)) return "the recovery signature does not verify (the set's shares were not combined)";
  return { user };
}

/** Applies one entry; returns why it was rejected, or undefined. */
function applyEntry(state: TeamState, e: TeamEntry): string | undefined {
  const actor = actorOf(state, e);
  if (typeof actor === "string") return actor;
  const b = e.body;
  if (b.type === "genesis") return "a second genesis entry";
  if (b.type === "approve") {
    if (!atLeast(actor.user.role, "admin")) return "only admins approve changes";
    const p = state.proposals.get(hex(b.proposal));
    if (p === undefined) return "approves a change that is not pending";
    const by = state.orgs === undefined ? undefined : actorOf(state, p.entry);
    const rule = by === undefined || typeof by === "string" ? { admins: required(state), orgs: orgsRequired(state), scope: undefined } : ruleOf(state, p.entry.body, by.user);
    // A change inside one organization is its own admins' to approve (docs/spaces.md).
    if (rule.scope !== undefined && actor.user.org !== rule.scope) return `approves a change inside organization ${orgName(state, rule.scope)}; only its own admins approve it`;
    if (rule.exclude !== undefined && actor.user.org === rule.exclude) return `approves the removal of its own organization ${orgName(state, rule.exclude)}; only the other organizations decide it`;
    p.approvers.add(actor.user.id);
    if (satisfied(state, rule, p.approvers)) {
      state.proposals.delete(hex(b.proposal));
      const proposer = actorOf(state, p.entry);
      if (typeof proposer === "string") return `the approved change can no longer apply: ${proposer}`;
      const why = permitted(state, p.entry.body, proposer.user) ?? applyEffect(state, p.entry, proposer.user);
      if (why !== undefined) {
        state.rejected.set(p.entry.hashHex, why);
        return undefined;
      }
      state.effective.set(p.entry.hashHex, e.hashHex);
      noteOrgs(state, p.entry, proposer.user, p.approvers, e.hashHex);
    }
    return undefined;
  }
  const denied = permitted(state, b, actor.user);
  if (denied !== undefined) return denied;
  const own = new Set(atLeast(actor.user.role, "admin") ? [actor.user.id] : []);
  if (isCritical(state, b, actor.user)) {
    const rule = ruleOf(state, b, actor.user);
    if (rule.admins > 1 || rule.orgs > 1) {
      // The author's own approval counts only if it is an admin (a recovering member may not be).
      state.proposals.set(e.hashHex, { entry: e, approvers: own });
      return undefined;
    }
  }
  const why = applyEffect(state, e, actor.user);
  if (why === undefined) {
    state.effective.set(e.hashHex, e.hashHex);
    noteOrgs(state, e, actor.user, own, e.hashHex);
  }
  return why;
}

/** The entry's effect, then its grants, each judged on its own against the author's rights. */
function applyEffect(state: TeamState, e: TeamEntry, author: UserState): string | undefined {
  const readable = new Set<string>();
  for (const c of state.collections.values()) if (atLeast(author.role, c.read)) readable.add(c.id);
  const why = effect(state, e);
  if (why !== undefined) return why;
  judgeGrants(state, e, readable, author);
  if (e.body.type === "compact") {
    // The snapshot must be sealed under a key this very entry introduced; if its grant was refused, the compaction is inert.
    const c = state.collections.get(e.body.collection)!;
    const fresh = c.keys.filter((k) => k.entry === e.hashHex);
    c.compactions[c.compactions.length - 1]!.key = fresh.length === 1 ? fresh[0]!.id : undefined;
  }
  return undefined;
}

/** Entry types whose grants may introduce new keys: creating a collection, and every change that rotates. */
const INTRODUCES = new Set(["collection", "revoke-device", "remove-member", "set-role", "set-policy", "compact", "grant", "remove-org"]);

function grantsOf(b: EntryBody): readonly KeyGrant[] {
  switch (b.type) {
    case "add-member":
    case "add-device":
    case "collection":
    case "grant":
      return b.grants;
    case "revoke-device":
    case "remove-member":
    case "set-role":
    case "set-policy":
    case "compact":
    case "remove-org":
      return b.rekeys;
    default:
      return [];
  }
}

/**
 * Whether a courier is still sent transport keys: not revoked, and the device that enrolled it is
 * still an active device of an active member (a courier retires with whoever enrolled it).
 */
export function courierActive(state: TeamState, c: CourierState): boolean {
  const d = state.devices.get(c.author);
  return c.revoked === undefined && d !== undefined && d.active && state.users.get(d.user)?.active === true;
}

/** Whether `deviceHex` is an active device of an active user who may read `c`. */
export function isReader(state: TeamState, c: CollectionState, deviceHex: string): boolean {
  const d = state.devices.get(deviceHex);
  const u = d === undefined ? undefined : state.users.get(d.user);
  return d !== undefined && u !== undefined && d.active && u.active && atLeast(u.role, c.read);
}

/**
 * Accepts or drops each grant of an applied entry (docs/team-model.md, I1-I2): its author must
 * have been able to read the collection before the entry (a creator must be able to read what
 * it creates), every recipient must be a reader after it, and a key id not introduced before
 * may only appear in an entry that may rotate keys. Dropped grants are recorded with a reason.
 */
function judgeGrants(state: TeamState, e: TeamEntry, readableBefore: ReadonlySet<string>, author: UserState): void {
  const b = e.body;
  const perCollection = new Map<string, number>();
  for (const g of grantsOf(b)) {
    const index = perCollection.get(g.collection) ?? 0;
    perCollection.set(g.collection, index + 1);
    const why = grantProblem(state, e, g, readableBefore, author);
    if (why !== undefined) {
      state.invalidGrants.push({ entry: e.hashHex, collection: g.collection, reason: why });
      continue;
    }
    const c = state.collections.get(g.collection)!;
    c.grants.push({ entry: e.hashHex, index, grant: g });
    for (const k of g.keys) {
      const id = hex(k);
      let holders = c.holders.get(id);
      if (holders === undefined) {
        c.keys.push({ id, entry: e.hashHex });
        holders = new Set();
        c.holders.set(id, holders);
      }
      for (const d of g.to) holders.add(hex(d));
    }
  }
}

/** The log each fold runs over, for judging a grant at its author's own position (rare: only when a recipient is not a reader). */
const logOf = new WeakMap<TeamState, ReadonlyMap<string, TeamEntry>>();

/** What a recovery enrolment descends from: its ancestors, and the devices their entries add (hex). */
interface Past {
  readonly entries: ReadonlySet<string>;
  readonly devices: ReadonlySet<string>;
}

/**
 * Walked once per enrolment, not in every fold: every later fold of the team (one per team change)
 * meets the enrolment again, and a walk costs about a tenth of a fold. An entry's ancestors follow
 * from its bytes (parents are hashes), and an entry is only judged once all of them are in the log.
 */
const pasts = new WeakMap<TeamEntry, Past>();

/** `e`'s past, or undefined when the fold's log lacks part of it. */
function pastOf(state: TeamState, e: TeamEntry): Past | undefined {
  const cached = pasts.get(e);
  if (cached !== undefined) return cached;
  const log = logOf.get(state);
  const entries = log === undefined ? undefined : ancestors(log, e.parents.map(hex));
  if (log === undefined || entries === undefined) return undefined;
  const devices = new Set<string>();
  for (const h of entries) {
    const b = log.get(h)!.body;
    if (b.type === "add-device" || b.type === "add-member" || b.type === "genesis") devices.add(hex(b.device.sign));
  }
  const past = { entries, devices };
  pasts.set(e, past);
  return past;
}

function readerAtAuthorsPosition(state: TeamState, e: TeamEntry, collection: string, device: string): boolean {
  const entries = logOf.get(state);
  if (entries === undefined) return false;
  const within = ancestors(entries, e.parents.map(hex));
  if (within === undefined) return false;
  const position = foldTeam(state.teamHex, entries, within);
  const c = position.collections.get(collection);
  return c !== undefined && isReader(position, c, device);
}

function grantProblem(state: TeamState, e: TeamEntry, g: KeyGrant, readableBefore: ReadonlySet<string>, author: UserState): string | undefined {
  const b = e.body;
  const c = state.collections.get(g.collection);
  if (c === undefined) return `grants keys of unknown collection "${g.collection}"`;
  if (b.type === "collection") {
    if (g.collection !== b.id) return "a new collection's entry grants keys of another collection";
    if (!atLeast(author.role, c.read)) return `its author (a ${author.role}) could not read the collection it created`;
  } else if (!readableBefore.has(c.id)) {
    return `its author (a ${author.role}) may not read "${c.id}", so it may not hand out its keys`;
  }
  for (const d of g.to) {
    if (isReader(state, c, hex(d))) continue;
    // This very entry took the recipient's rights (a removal's rekey naming whom it removes): no race excuses it.
    if (state.devices.get(hex(d))?.losses.some((l) => l.entry === e.hashHex) === true) return `seals keys of "${c.id}" to a device this entry takes them from`;
    // A recipient that could read where the author stood lost it in a concurrent entry ordered
    // first: an honest race, not a leak the author chose. The grant stands (so writes under it
    // stay readable everywhere) and the key repair rotates the key away from that device.
    if (readerAtAuthorsPosition(state, e, c.id, hex(d))) continue;
    return `seals keys of "${c.id}" to a device that may not read it`;
  }
  for (const k of g.keys) {
    const id = hex(k);
    if (c.holders.has(id)) continue;
    for (const other of state.collections.values()) if (other !== c && other.holders.has(id)) return `passes on a key of another collection as "${c.id}"'s`;
    // A recovery enrolment revokes the lost devices, so it rotates their collections' keys too.
    if (!INTRODUCES.has(b.type) && !(b.type === "add-device" && b.recovery !== undefined)) return `passes on a key of "${c.id}" that no entry introduced (a ${b.type} may only pass on existing keys)`;
  }
  return undefined;
}

/** Whether `actor` may make this change at all (before approvals): the table, then a shared space's organization rules. */
function permitted(state: TeamState, b: EntryBody, actor: UserState): string | undefined {
  return permittedByRole(state, b, actor) ?? orgProblem(state, b, actor);
}

function permittedByRole(state: TeamState, b: EntryBody, actor: UserState): string | undefined {
  const admin = atLeast(actor.role, "admin");
  switch (b.type) {
    case "add-device": {
      if (hex(b.user) !== actor.id && !admin) return "only the user or an admin adds a device";
      return undefined;
    }
    case "recovery-set":
      // Every member may make one for themselves (the identity signature is checked in effect).
      return undefined;
    case "revoke-device": {
      const d = state.devices.get(hex(b.device));
      if (d !== undefined && d.user !== actor.id) {
        if (!admin) return "only the device's user or an admin revokes a device";
        if (state.users.get(d.user)?.role === "owner" && actor.role !== "owner") return "only an owner revokes an owner's device";
      }
      return undefined;
    }
    case "add-member":
    case "set-role":
      if (!admin) return `only admins ${b.type === "add-member" ? "add members" : "change roles"}`;
      if (b.role === "owner" && actor.role !== "owner") return "only an owner makes someone an owner";
      if (b.type === "set-role") {
        const t = state.users.get(hex(b.user));
        if (t !== undefined && t.role === "owner" && actor.role !== "owner") return "only an owner changes an owner's role";
      }
      return undefined;
    case "remove-member": {
      if (!admin) return "only admins remove members";
      const t = state.users.get(hex(b.user));
      if (t !== undefined && t.role === "owner" && actor.role !== "owner") return "only an owner removes an owner";
      return undefined;
    }
    case "courier":
      // Any member may enroll one (it holds the key every member holds); it retires with the device that enrolled it.
      return undefined;
    case "revoke-courier": {
      const c = state.couriers.get(hex(b.key));
      const enroller = c === undefined ? undefined : state.devices.get(c.author);
      return admin || enroller?.user === actor.id ? undefined : "only an admin or the member who enrolled a courier revokes it";
    }
    default:
      return admin ? undefined : `only admins make ${b.type} changes`;
  }
}

function cut(device: DeviceState, seq: number, entry: string): void {
  device.active = false;
  device.cutoff = device.cutoff === undefined ? seq : Math.min(device.cutoff, seq);
  device.losses.push({ entry, seq });
}

/** Records that `users` lost rights at `entry`: each of their devices gets a loss at the cutoff the author named (0 if none). */
function lose(state: TeamState, users: ReadonlySet<string>, cutoffs: readonly Cutoff[], entry: string): void {
  for (const d of state.devices.values()) {
    if (!users.has(d.user)) continue;
    const c = cutoffs.find((x) => hex(x.device) === d.id);
    d.losses.push({ entry, seq: c?.seq ?? 0 });
  }
}

/** Active owners; in a shared space, of the organization `org` (an owner is the highest role inside its organization). */
function activeOwners(state: TeamState, org: number | undefined): number {
  return [...state.users.values()].filter((u) => u.active && u.role === "owner" && u.org === org).length;
}

/** In a shared space, why `u` may not stop being an admin: its organization would have none (and could be seated again by another). */
function lastAdmin(state: TeamState, u: UserState): string | undefined {
  if (state.orgs === undefined || u.org === undefined || !atLeast(u.role, "admin") || orgAdmins(state, u.org) > 1) return undefined;
  return `would leave organization ${orgName(state, u.org)} without an admin`;
}

/** The change itself; returns why it cannot apply. Mutates only when it returns undefined. */
function effect(state: TeamState, e: TeamEntry): string | undefined {
  const b = e.body;
  switch (b.type) {
    case "add-member": {
      const id = hex(b.user);
      const existing = state.users.get(id);
      if (existing?.active === true) return "that person is already a member";
      if (state.devices.has(hex(b.device.sign))) return "that device is already known";
      if (!verifyDeviceCert(b.user, b.device)) return "the device certificate does not verify";
      state.users.set(id, { id, name: b.userName, role: b.role, active: true, org: b.org });
      state.devices.set(hex(b.device.sign), newDevice(b.device, id));
      return undefined;
    }
    case "add-device": {
      const user = state.users.get(hex(b.user));
      if (user === undefined || !user.active) return "adds a device to someone who is not a member";
      if (state.devices.has(hex(b.device.sign))) return "that device is already known";
      if (!verifyDeviceCert(b.user, b.device)) return "the device certificate does not verify";
      if (b.recovery !== undefined) {
        // Only the device itself proves a recovery (selfEnrolment checked the rest as it became the actor).
        const set = state.recoverySets.get(recoverySetKey(user.id, b.recovery.set));
        if (!equalBytes(e.author, b.device.sign) || set === undefined || set.spent !== undefined) return "a recovery proof only in the enrolment the recovered device signs itself";
        // The enrolment is the cut (docs/recovery.md): every device of the member it descends
        // from is revoked here, in the same step, so nothing the lost laptop signs concurrently
        // (a backdated recovery set, a revocation of this device) stands against it (I4). A
        // device already revoked keeps its cutoff and only gains the loss.
        const known = pastOf(state, e)?.devices;
        for (const d of state.devices.values()) {
          if (d.user !== user.id || known?.has(d.id) !== true) continue;
          if (!d.active) {
            d.losses.push({ entry: e.hashHex, seq: d.cutoff ?? 0 });
            continue;
          }
          const c = b.recovery!.cutoffs?.find((x) => hex(x.device) === d.id);
          cut(d, c?.seq ?? 0, e.hashHex);
        }
        set.spent = e.hashHex;
      }
      state.devices.set(hex(b.device.sign), newDevice(b.device, user.id));
      return undefined;
    }
    case "recovery-set": {
      const author = state.devices.get(hex(e.author))!;
      const user = state.users.get(author.user)!;
      if (state.recoverySets.has(recoverySetKey(user.id, b.set))) return "that recovery set id is already used";
      const identity = Buffer.from(user.id, "hex");
      if (!ed25519Verify(identity, recoverySetMessage(state.team, identity, b), b.sig)) return "the recovery set is not signed by its member's identity key";
      for (const s of state.recoverySets.values()) if (s.user === user.id) s.superseded = true;
      state.recoverySets.set(recoverySetKey(user.id, b.set), { id: hex(b.set), user: user.id, entry: e.hashHex, threshold: b.threshold, key: b.key, shares: b.shares.map(hex), superseded: false, spent: undefined });
      return undefined;
    }
    case "revoke-device": {
      const d = state.devices.get(hex(b.device));
      if (d === undefined || !d.active) return "revokes a device that is not active";
      cut(d, b.cutoff, e.hashHex);
      return undefined;
    }
    case "remove-member": {
      const u = state.users.get(hex(b.user));
      if (u === undefined || !u.active) return "removes someone who is not a member";
      if (u.role === "owner" && activeOwners(state, u.org) === 1) return state.orgs === undefined ? "would remove the last owner" : `would remove the last owner of organization ${orgName(state, u.org)}`;
      const last = lastAdmin(state, u);
      if (last !== undefined) return last;
      u.active = false;
      for (const d of state.devices.values()) {
        if (d.user !== u.id) continue;
        const c = b.cutoffs.find((x) => hex(x.device) === d.id);
        cut(d, c?.seq ?? 0, e.hashHex);
      }
      return undefined;
    }
    case "set-role": {
      const u = state.users.get(hex(b.user));
      if (u === undefined || !u.active) return "changes the role of someone who is not a member";
      if (u.role === "owner" && b.role !== "owner" && activeOwners(state, u.org) === 1) return state.orgs === undefined ? "would demote the last owner" : `would demote the last owner of organization ${orgName(state, u.org)}`;
      if (!atLeast(b.role, "admin")) {
        const last = lastAdmin(state, u);
        if (last !== undefined) return last;
      }
      const demoted = roleRank(b.role) < roleRank(u.role);
      u.role = b.role;
      if (demoted) lose(state, new Set([u.id]), b.cutoffs, e.hashHex);
      return undefined;
    }
    case "collection": {
      if (state.collections.has(b.id)) return `collection "${b.id}" already exists`;
      state.collections.set(b.id, { id: b.id, name: b.name, app: b.app ?? DEFAULT_APP, read: b.read, write: b.write, grants: [], keys: [], holders: new Map(), compactions: [] });
      return undefined;
    }
    case "set-policy": {
      const c = state.collections.get(b.collection);
      if (c === undefined) return `no collection "${b.collection}"`;
      // Members who could write and no longer can lose that right at this entry (their cutoffs).
      const losing = new Set([...state.users.values()].filter((u) => u.active && atLeast(u.role, c.write) && !atLeast(u.role, b.write)).map((u) => u.id));
      c.read = b.read;
      c.write = b.write;
      if (losing.size > 0) lose(state, losing, b.cutoffs, e.hashHex);
      return undefined;
    }
    case "compact": {
      const c = state.collections.get(b.collection);
      if (c === undefined) return `no collection "${b.collection}"`;
      c.compactions.push({ entry: e.hashHex, author: hex(e.author), frontier: new Map(b.frontier.map((f) => [hex(f.device), { seq: f.seq, id: hex(f.id) }])), key: undefined });
      return undefined;
    }
    case "set-approvals":
      if (b.k < 1) return "at least one approval is always required";
      if (b.k > activeAdmins(state)) return `asks for ${b.k} approvals but the team has ${activeAdmins(state)} active admins`;
      state.approvalsSet = b.k;
      return undefined;
    case "grant":
      return undefined;
    case "add-org": {
      const orgs = state.orgs!; // orgProblem refused it in a team
      if (orgs.length >= MAX_ORGS) return `the space already has ${MAX_ORGS} organizations (a removed one keeps its place)`;
      const same = orgs.findIndex((o) => foldCase(o) === foldCase(b.name));
      if (same >= 0) return `organization ${orgName(state, same)} already exists${state.removedOrgs.has(same) ? " (removed: its name stays taken)" : ""}`;
      // orgK = orgs.length only when the genesis left it out ("all of them"; a given orgK is below n): it stays all.
      if (state.orgK === orgs.length) state.orgK = orgs.length + 1;
      orgs.push(b.name);
      return undefined;
    }
    case "remove-org": {
      if (b.org >= state.orgs!.length || state.removedOrgs.has(b.org)) return "removes an organization that is not in the space";
      // Every member it has now loses their rights as in remove-member (earlier leavers keep their cutoffs).
      const leaving = [...state.users.values()].filter((u) => u.active && u.org === b.org);
      for (const u of leaving) u.active = false;
      const ids = new Set(leaving.map((u) => u.id));
      for (const d of state.devices.values()) {
        if (!ids.has(d.user)) continue;
        const c = b.cutoffs.find((x) => hex(x.device) === d.id);
        cut(d, c?.seq ?? 0, e.hashHex);
      }
      state.removedOrgs.set(b.org, e.hashHex);
      return undefined;
    }
    case "transport-key": {
      // Only to active devices of active members: a removed member's or revoked device never gets a generation (I12).
      for (const d of b.to) {
        const device = state.devices.get(hex(d));
        if (device === undefined || !device.active || state.users.get(device.user)?.active !== true) return "seals the transport key to a device that is not active (a removed member's or a revoked device must never get it)";
      }
      const id = hex(b.key);
      const known = state.transport.find((g) => g.id === id);
      if (known !== undefined) for (const d of b.to) known.holders.add(hex(d));
      else state.transport.push({ id, entry: e.hashHex, time: e.time, holders: new Set(b.to.map(hex)) });
      return undefined;
    }
    case "courier": {
      const key = hex(b.key);
      const known = state.couriers.get(key);
      if (known !== undefined) return courierActive(state, known) ? "that courier is already enrolled" : "that courier key was retired; a retired courier comes back only with a new key";
      let active = 0;
      for (const c of state.couriers.values()) {
        if (!courierActive(state, c)) continue;
        if (c.name === b.name) return `a courier named "${b.name}" is already enrolled`;
        active++;
      }
      // Every admin's export seals an enrollment to each active courier: a member must not be able to make that unbounded.
      if (active >= MAX_ACTIVE_COURIERS) return `the team already has ${MAX_ACTIVE_COURIERS} couriers; revoke one first`;
      state.couriers.set(key, { key, name: b.name, entry: e.hashHex, author: hex(e.author), time: e.time, revoked: undefined });
      return undefined;
    }
    case "revoke-courier": {
      const c = state.couriers.get(hex(b.key));
      if (c === undefined) return "revokes a courier that is not enrolled";
      if (c.revoked !== undefined) return "that courier is already revoked";
      c.revoked = e.hashHex;
      return undefined;
    }
    case "genesis":
    case "approve":
      return "not an effect";
  }
}

/** Active devices whose user may read `collection` now. */
export function readerDevices(state: TeamState, collection: string): DeviceState[] {
  const c = state.collections.get(collection);
  if (c === undefined) return [];
  return [...state.devices.values()].filter((d) => isReader(state, c, d.id));
}

/** Whether `device` may write `collection` in `state` (active, and its user's role allows it). */
export function mayWrite(state: TeamState, deviceHex: string, collection: string): string | undefined {
  const d = state.devices.get(deviceHex);
  if (d === undefined) return "the author is not a device of this team";
  if (!d.active) return "the author device was revoked or its user removed";
  const u = state.users.get(d.user);
  if (u === undefined || !u.active) return "the author was removed from the team";
  const c = state.collections.get(collection);
  if (c === undefined) return `no collection "${collection}"`;
  if (!atLeast(u.role, c.write)) return `${u.role === "viewer" ? "a" : "an"} ${u.role} may not write "${collection}" (needs ${c.write})`;
  return undefined;
}

/** All ancestors of `heads` (inclusive) among known entries. */
export function ancestors(entries: ReadonlyMap<string, TeamEntry>, heads: readonly string[]): Set<string> | undefined {
  const out = new Set<string>();
  const stack = [...heads];
  while (stack.length > 0) {
    const h = stack.pop()!;
    if (out.has(h)) continue;
    const e = entries.get(h);
    if (e === undefined) return undefined;
    out.add(h);
    for (const p of e.parents) stack.push(hex(p));
  }
  return out;
}
