/**
 * Team log entries: signed, hash-linked membership and policy changes. Spec: docs/team-model.md.
 *
 *   signed entry = canonical CBOR { body: bytes, sig: bytes(64) }
 *   body         = canonical CBOR { type, author, parents, time, team?, ...type fields }
 *   hash         = SHA-256("airlock/v1/team-entry" || body)
 *   sig          = Ed25519(author device key, "airlock/v1/team-entry-sig" || body)
 * The team id is the hash of the genesis entry (the only entry without `team` and `parents`).
 */
import { concatBytes, ed25519Sign, ed25519Verify, isValidEd25519PublicKey, isValidX25519PublicKey, sha256, utf8, type KeyPair } from "@airlock/bundle-format";
import { firstUnsafe } from "@airlock/shared";
import { decodeObject, encodeObject, type Plain } from "./cbor-object.js";
import { Reader, type Obj } from "./read.js";

export const ROLES = ["viewer", "editor", "admin", "owner"] as const;
export type Role = (typeof ROLES)[number];
export const roleRank = (r: Role): number => ROLES.indexOf(r);
export const atLeast = (r: Role, min: Role): boolean => roleRank(r) >= roleRank(min);

export const MAX_ENTRY_BYTES = 1024 * 1024;
/**
 * The minor version of the entry format this release writes and reads (docs/team-model.md,
 * "Versions"). As for bundle payloads: an entry with `v` above it comes from a newer release,
 * which may only add optional fields, and its unknown fields are ignored; at or below it an
 * unknown field is malformed. An unknown `type` is always refused (a new kind of entry is a
 * major change: its effect on rights could not be judged).
 */
export const ENTRY_MINOR_VERSION = 2;
/** The app of a collection created without one (every collection before typed collections). */
export const DEFAULT_APP = "notes";
/** An app name: what the registry is keyed by (offline-signer/src/apps/registry.ts). */
export const APP_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/**
 * Parents an entry (and heads a changeset) may name. Wide enough that a member making many
 * concurrent entries cannot stop others from naming the heads they hold (docs/team-model.md, I8).
 */
export const MAX_HEADS = 1024;
const LABEL_HASH = utf8("airlock/v1/team-entry");
const LABEL_SIG = utf8("airlock/v1/team-entry-sig");
const LABEL_CERT = utf8("airlock/v1/device-cert");
const LABEL_RECOVERY_SET = utf8("airlock/v1/recovery-set");
const LABEL_RECOVERY_ENROL = utf8("airlock/v1/recovery-enrol");
/** Shares one recovery set may have (docs/recovery.md): enough for any team, small enough for the log. */
export const MAX_RECOVERY_SHARES = 16;
/** A sealed share for one holder: a bundle of the smallest buckets. */
export const MAX_SEALED_SHARE = 64 * 1024;
/**
 * Organizations a shared space may name (docs/spaces.md, "Shared spaces between organizations"):
 * at least two (one is an ordinary team), at most 16 (every space-level change waits for each).
 */
export const MIN_ORGS = 2;
export const MAX_ORGS = 16;
/**
 * The highest `v` an entry carrying `orgs`, `orgK` or `org` may say. Those fields decide who may
 * do what, so a release before shared spaces must refuse them (it does: at v 2 or below an
 * unknown field is malformed), never ignore them as a newer minor version's optional fields.
 */
export const ORG_FIELDS_MAX_V = 2;
/** A courier's name: what people type in `airlock couriers revoke NAME`, so one spelling only. */
export const COURIER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A device as the team log knows it: signing key (its id), encryption key, identity certificate. */
export interface DeviceKeys {
  readonly sign: Uint8Array;
  readonly enc: Uint8Array;
  /** Ed25519 signature by the user's identity key over label || sign || enc. */
  readonly cert: Uint8Array;
}

/**
 * Collection keys sealed (as a bundle) to the named devices' encryption keys. `keys` names, in
 * clear, the ids of the keys sealed inside (in order), so the fold can judge every grant — who
 * may hand out which key, and which entry introduced it — without opening it; a recipient checks
 * that what it opens matches.
 */
export interface KeyGrant {
  readonly collection: string;
  readonly to: readonly Uint8Array[];
  readonly keys: readonly Uint8Array[];
  readonly sealed: Uint8Array;
}

export interface Cutoff {
  readonly device: Uint8Array;
  readonly seq: number;
}

/** Where a compaction's snapshot stands on one device's chain: its changesets up to `seq` (the one at `seq` is `id`). */
export interface FrontierPoint {
  readonly device: Uint8Array;
  readonly seq: number;
  readonly id: Uint8Array;
}

/**
 * Proof, in a self-authored `add-device`, that the shares of the member's recovery set were
 * combined: `sig` by the set's recovery key over the team, the set and the new device's keys.
 */
export interface RecoveryProof {
  readonly set: Uint8Array;
  readonly sig: Uint8Array;
  /**
   * The enrolment revokes every other device of the member (docs/recovery.md): per device, the
   * highest changeset seq still accepted (0 for a device not named). Signed by the enrolled device.
   */
  readonly cutoffs?: readonly Cutoff[] | undefined;
}

export type EntryBody =
  | {
      type: "genesis";
      name: string;
      user: Uint8Array;
      userName: string;
      device: DeviceKeys;
      /** A shared space's organizations, in order (2..16 names); the author belongs to orgs[0]. Absent: an ordinary team. */
      orgs?: readonly string[] | undefined;
      /** How many organizations approve a space-level change (2..orgs.length - 1); absent: all of them. */
      orgK?: number | undefined;
    }
  | {
      type: "add-member";
      user: Uint8Array;
      userName: string;
      role: Role;
      device: DeviceKeys;
      grants: readonly KeyGrant[];
      /** The member's organization: an index into the genesis's `orgs` (required in a shared space, refused in a team). */
      org?: number | undefined;
    }
  | { type: "add-device"; user: Uint8Array; device: DeviceKeys; grants: readonly KeyGrant[]; recovery?: RecoveryProof | undefined }
  | { type: "revoke-device"; device: Uint8Array; cutoff: number; rekeys: readonly KeyGrant[] }
  | { type: "remove-member"; user: Uint8Array; cutoffs: readonly Cutoff[]; rekeys: readonly KeyGrant[] }
  | { type: "set-role"; user: Uint8Array; role: Role; cutoffs: readonly Cutoff[]; rekeys: readonly KeyGrant[] }
  | { type: "collection"; id: string; name: string; read: Role; write: Role; grants: readonly KeyGrant[]; app?: string | undefined }
  | { type: "set-policy"; collection: string; read: Role; write: Role; cutoffs: readonly Cutoff[]; rekeys: readonly KeyGrant[] }
  | { type: "compact"; collection: string; frontier: readonly FrontierPoint[]; rekeys: readonly KeyGrant[] }
  | { type: "set-approvals"; k: number }
  | { type: "approve"; proposal: Uint8Array }
  /** A transport key generation (docs/transport-key.md, "Generations"): `key` its id in clear, sealed to the `to` devices. */
  | { type: "transport-key"; key: Uint8Array; to: readonly Uint8Array[]; sealed: Uint8Array }
  /** A courier the team's vaults send transport keys to: its X25519 public key and a name people use. */
  | { type: "courier"; name: string; key: Uint8Array }
  | { type: "revoke-courier"; key: Uint8Array }
  | { type: "grant"; grants: readonly KeyGrant[] }
  /** A shared space's new organization (docs/spaces.md, rule 6): appended to `orgs`, unseated until its first admin. */
  | { type: "add-org"; name: string }
  /**
   * Removes organization `org` (an index, which stays taken) from a shared space: every member of
   * it loses their rights as with remove-member, per device at `cutoffs` (0 for a device not named).
   */
  | { type: "remove-org"; org: number; cutoffs: readonly Cutoff[]; rekeys: readonly KeyGrant[] }
  | {
      type: "recovery-set";
      /** Random id of the set (16 bytes): what cards and share bundles name. */
      set: Uint8Array;
      threshold: number;
      /** The set's recovery key (Ed25519): only whoever combines `threshold` shares can sign with it. */
      key: Uint8Array;
      /** recoveryShareHash of every share, sorted: a forged or damaged share is named as such. */
      shares: readonly Uint8Array[];
      /** One bundle per teammate holder (anonymous slots, sealed to that holder's devices). */
      sealed: readonly Uint8Array[];
      /** The member's identity key over recoverySetMessage: the commitment. */
      sig: Uint8Array;
    };

export type EntryType = EntryBody["type"];

export interface TeamEntry {
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly team: Uint8Array | undefined;
  readonly parents: readonly Uint8Array[];
  readonly author: Uint8Array;
  readonly time: number;
  readonly body: EntryBody;
  /** The signed encoding, forwarded verbatim. */
  readonly bytes: Uint8Array;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

export function deviceCertMessage(sign: Uint8Array, enc: Uint8Array): Uint8Array {
  return concatBytes(LABEL_CERT, sign, enc);
}

export function certifyDevice(identity: KeyPair, sign: Uint8Array, enc: Uint8Array): DeviceKeys {
  return { sign, enc, cert: ed25519Sign(identity.secretKey, deviceCertMessage(sign, enc)) };
}

export function verifyDeviceCert(user: Uint8Array, d: DeviceKeys): boolean {
  return ed25519Verify(user, deviceCertMessage(d.sign, d.enc), d.cert);
}

/** What a member's identity key signs for a recovery set (docs/recovery.md, "The commitment"). */
export function recoverySetMessage(team: Uint8Array, user: Uint8Array, b: { set: Uint8Array; threshold: number; key: Uint8Array; shares: readonly Uint8Array[] }): Uint8Array {
  return concatBytes(LABEL_RECOVERY_SET, encodeObject({ team, user, set: b.set, threshold: b.threshold, key: b.key, shares: [...b.shares] }));
}

/** What the recovery key signs to enrol a device: the team, the set and the device's two keys. */
export function recoveryEnrolMessage(team: Uint8Array, set: Uint8Array, d: Pick<DeviceKeys, "sign" | "enc">): Uint8Array {
  return concatBytes(LABEL_RECOVERY_ENROL, team, set, d.sign, d.enc);
}

const plainDevice = (d: DeviceKeys): Plain => ({ sign: d.sign, enc: d.enc, cert: d.cert });
const plainGrants = (g: readonly KeyGrant[]): Plain => g.map((x) => ({ collection: x.collection, to: [...x.to], keys: [...x.keys], sealed: x.sealed }));
const plainCutoffs = (c: readonly Cutoff[]): Plain => c.map((x) => ({ device: x.device, seq: x.seq }));

function plainBody(b: EntryBody): Record<string, Plain> {
  switch (b.type) {
    case "genesis":
      // `orgs` and `orgK` only in a shared space's genesis, so a team's genesis keeps its bytes and hash.
      return { name: b.name, user: b.user, userName: b.userName, device: plainDevice(b.device), ...(b.orgs === undefined ? {} : { orgs: [...b.orgs] }), ...(b.orgK === undefined ? {} : { orgK: b.orgK }) };
    case "add-member":
      return { user: b.user, userName: b.userName, role: b.role, device: plainDevice(b.device), grants: plainGrants(b.grants), ...(b.org === undefined ? {} : { org: b.org }) };
    case "add-device":
      return { user: b.user, device: plainDevice(b.device), grants: plainGrants(b.grants), ...(b.recovery === undefined ? {} : { recovery: { set: b.recovery.set, sig: b.recovery.sig, ...(b.recovery.cutoffs === undefined ? {} : { cutoffs: plainCutoffs(b.recovery.cutoffs) }) } }) };
    case "revoke-device":
      return { device: b.device, cutoff: b.cutoff, rekeys: plainGrants(b.rekeys) };
    case "remove-member":
      return { user: b.user, cutoffs: plainCutoffs(b.cutoffs), rekeys: plainGrants(b.rekeys) };
    case "set-role":
      return { user: b.user, role: b.role, cutoffs: plainCutoffs(b.cutoffs), rekeys: plainGrants(b.rekeys) };
    case "collection":
      // `app` is omitted for notes so entries written before collections had types stay byte-identical.
      return { id: b.id, name: b.name, read: b.read, write: b.write, grants: plainGrants(b.grants), ...(b.app === undefined || b.app === DEFAULT_APP ? {} : { app: b.app }) };
    case "set-policy":
      return { collection: b.collection, read: b.read, write: b.write, cutoffs: plainCutoffs(b.cutoffs), rekeys: plainGrants(b.rekeys) };
    case "compact":
      return { collection: b.collection, frontier: b.frontier.map((f) => ({ device: f.device, seq: f.seq, id: f.id })), rekeys: plainGrants(b.rekeys) };
    case "set-approvals":
      return { k: b.k };
    case "approve":
      return { proposal: b.proposal };
    case "transport-key":
      return { key: b.key, to: [...b.to], sealed: b.sealed };
    case "courier":
      return { name: b.name, key: b.key };
    case "revoke-courier":
      return { key: b.key };
    case "grant":
      return { grants: plainGrants(b.grants) };
    case "add-org":
      return { name: b.name };
    case "remove-org":
      return { org: b.org, cutoffs: plainCutoffs(b.cutoffs), rekeys: plainGrants(b.rekeys) };
    case "recovery-set":
      return { set: b.set, threshold: b.threshold, key: b.key, shares: [...b.shares], sealed: [...b.sealed], sig: b.sig };
  }
}

export function entryHash(body: Uint8Array): Uint8Array {
  return sha256(LABEL_HASH, body);
}

export interface NewEntry {
  readonly team: Uint8Array | undefined;
  readonly parents: readonly Uint8Array[];
  readonly time: number;
  readonly body: EntryBody;
}

/** Encodes and signs an entry with the author device's key, without checking it (decodeEntry does). */
export function encodeSignedEntry(device: KeyPair, e: NewEntry): Uint8Array {
  const parents = [...e.parents].sort((a, b) => Buffer.compare(a, b));
  const body = encodeObject({
    type: e.body.type,
    author: device.publicKey,
    time: e.time,
    ...(e.team === undefined ? {} : { team: e.team, parents }),
    // `v` only where a field of a later minor version is present, so earlier entries keep their bytes.
    ...(e.body.type === "collection" && e.body.app !== undefined && e.body.app !== DEFAULT_APP ? { v: 1 } : {}),
    ...(e.body.type === "add-device" && e.body.recovery !== undefined ? { v: 2 } : {}),
    ...plainBody(e.body),
  });
  const sig = ed25519Sign(device.secretKey, concatBytes(LABEL_SIG, body));
  return encodeObject({ body, sig });
}

/** Encodes and signs an entry with the author device's key; throws if the result would be refused. */
export function signEntry(device: KeyPair, e: NewEntry): TeamEntry {
  return decodeEntry(encodeSignedEntry(device, e));
}

const R = new Reader("TEAM_ENTRY_MALFORMED", "team log entry", "the entry is damaged or forged; it was not applied");
const SIG = new Reader("TEAM_ENTRY_SIGNATURE", "team log entry", "the entry was altered or forged; it was not applied");
const ROLE_LIST: readonly Role[] = ROLES;
const KEY = 32;
const KEY_ID = 16;
const MAX_LIST = 4096;

/** An identity key: a canonical prime-order Ed25519 point (small-order keys admit universal signatures). */
function readIdentity(v: Plain | undefined, path: string): Uint8Array {
  const key = R.bytes(v, path, KEY);
  if (!isValidEd25519PublicKey(key)) R.fail(`${path} is not a valid Ed25519 public key (small-order or non-canonical)`);
  return key;
}

function readDevice(v: Plain | undefined, path: string): DeviceKeys {
  const o = R.obj(v, path, ["sign", "enc", "cert"]);
  const sign = readIdentity(o["sign"], `${path}.sign`);
  const enc = R.bytes(o["enc"], `${path}.enc`, KEY);
  if (!isValidX25519PublicKey(enc)) R.fail(`${path}.enc is a low-order X25519 key (anything sealed to it would be readable by all)`);
  return { sign, enc, cert: R.bytes(o["cert"], `${path}.cert`, 64) };
}

/** Sorted, distinct 32-byte ids: one encoding per set, so a list cannot smuggle a device twice. */
function readIdSet(v: Plain | undefined, path: string, max: number, length: number): Uint8Array[] {
  const out = R.array(v, path, max).map((t, j) => R.bytes(t, `${path}[${j}]`, length));
  for (let j = 1; j < out.length; j++) if (Buffer.compare(out[j - 1]!, out[j]!) >= 0) R.fail(`${path} must be sorted and distinct`);
  return out;
}

function readGrants(v: Plain | undefined, path: string): KeyGrant[] {
  return R.array(v, path, 256).map((g, i) => {
    const o = R.obj(g, `${path}[${i}]`, ["collection", "to", "keys", "sealed"]);
    const to = readIdSet(o["to"], `${path}[${i}].to`, 1024, KEY);
    if (to.length === 0) R.fail(`${path}[${i}].to names no device`);
    const keys = R.array(o["keys"], `${path}[${i}].keys`, 4096).map((k, j) => R.bytes(k, `${path}[${i}].keys[${j}]`, KEY_ID));
    if (keys.length === 0) R.fail(`${path}[${i}].keys names no key`);
    if (new Set(keys.map(hex)).size !== keys.length) R.fail(`${path}[${i}].keys names a key twice`);
    return { collection: R.text(o["collection"], `${path}[${i}].collection`, 64, 1), to, keys, sealed: R.bytes(o["sealed"], `${path}[${i}].sealed`, 1, 512 * 1024) };
  });
}

/** One point per device, sorted by device: one encoding per frontier. */
function readFrontier(v: Plain | undefined, path: string): FrontierPoint[] {
  const out = R.array(v, path, MAX_LIST).map((c, i) => {
    const o = R.obj(c, `${path}[${i}]`, ["device", "seq", "id"]);
    return { device: R.bytes(o["device"], `${path}[${i}].device`, KEY), seq: R.uint(o["seq"], `${path}[${i}].seq`), id: R.bytes(o["id"], `${path}[${i}].id`, KEY) };
  });
  for (let i = 1; i < out.length; i++) if (Buffer.compare(out[i - 1]!.device, out[i]!.device) >= 0) R.fail(`${path} must be sorted by device, each once`);
  return out;
}

function readCutoffs(v: Plain | undefined, path: string): Cutoff[] {
  const out = R.array(v, path, MAX_LIST).map((c, i) => {
    const o = R.obj(c, `${path}[${i}]`, ["device", "seq"]);
    return { device: R.bytes(o["device"], `${path}[${i}].device`, KEY), seq: R.uint(o["seq"], `${path}[${i}].seq`) };
  });
  if (new Set(out.map((c) => hex(c.device))).size !== out.length) R.fail(`${path} names a device twice`);
  return out;
}

/**
 * Names and titles are shown to people: control characters could rewrite the terminal (hide a
 * fingerprint, clear the screen) and bidi overrides could reorder what is read. Refused here, at
 * the one place every member-authored name enters the vault.
 */
function readName(v: Plain | undefined, path: string, max: number, min: number): string {
  const s = R.text(v, path, max, min);
  const bad = firstUnsafe(s);
  if (bad !== undefined) R.fail(`${path} holds ${bad}, a control or invisible character names may not hold`);
  if (s.trim().length === 0) R.fail(`${path} is blank`);
  return s;
}

/**
 * A shared space's organization names: 2..16 display names (the rules of a team name), distinct
 * ignoring ASCII case, since people name them on the command line (`--org NAME`).
 */
function readOrgs(v: Plain | undefined): string[] {
  const orgs = R.array(v, "orgs", MAX_ORGS).map((x, i) => readName(x, `orgs[${i}]`, 256, 1));
  if (orgs.length < MIN_ORGS) R.fail(`orgs names ${orgs.length} organization${orgs.length === 1 ? "" : "s"}; a shared space has ${MIN_ORGS}..${MAX_ORGS} (leave orgs out for a team)`);
  const folded = orgs.map((n) => n.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  if (new Set(folded).size !== orgs.length) R.fail("orgs names an organization twice");
  return orgs;
}

const COMMON = ["type", "author", "time", "team", "parents", "v"];
const FIELDS: Record<EntryType, readonly string[]> = {
  genesis: ["name", "user", "userName", "device", "orgs", "orgK"],
  "add-member": ["user", "userName", "role", "device", "grants", "org"],
  "add-device": ["user", "device", "grants", "recovery"],
  "revoke-device": ["device", "cutoff", "rekeys"],
  "remove-member": ["user", "cutoffs", "rekeys"],
  "set-role": ["user", "role", "cutoffs", "rekeys"],
  collection: ["id", "name", "read", "write", "grants", "app"],
  "set-policy": ["collection", "read", "write", "cutoffs", "rekeys"],
  compact: ["collection", "frontier", "rekeys"],
  "set-approvals": ["k"],
  approve: ["proposal"],
  "transport-key": ["key", "to", "sealed"],
  courier: ["name", "key"],
  "revoke-courier": ["key"],
  grant: ["grants"],
  "add-org": ["name"],
  "remove-org": ["org", "cutoffs", "rekeys"],
  "recovery-set": ["set", "threshold", "key", "shares", "sealed", "sig"],
};
const TYPES = Object.keys(FIELDS) as EntryType[];

function readBody(o: Obj, type: EntryType): EntryBody {
  const t = (k: string, max: number, min = 1): string => readName(o[k], k, max, min);
  const b = (k: string): Uint8Array => R.bytes(o[k], k, KEY);
  const role = (k: string): Role => R.oneOf(o[k], k, ROLE_LIST);
  switch (type) {
    case "genesis": {
      const orgs = o["orgs"] === undefined ? undefined : readOrgs(o["orgs"]);
      if (orgs === undefined && o["orgK"] !== undefined) R.fail("orgK without orgs (only a shared space has organizations)");
      const orgK = o["orgK"] === undefined || orgs === undefined ? undefined : R.uint(o["orgK"], "orgK", MAX_ORGS);
      // k of n with 2 <= k < n: one organization alone never decides for the space, and k = n is the default, written by leaving orgK out (one encoding).
      if (orgK !== undefined && (orgK < 2 || orgK >= orgs!.length)) R.fail(`orgK must be 2..${orgs!.length - 1} (k of the ${orgs!.length} organizations; all of them when left out)`);
      return {
        type,
        name: t("name", 256),
        user: readIdentity(o["user"], "user"),
        userName: t("userName", 256),
        device: readDevice(o["device"], "device"),
        ...(orgs === undefined ? {} : { orgs }),
        ...(orgK === undefined ? {} : { orgK }),
      };
    }
    case "add-member":
      return {
        type,
        user: readIdentity(o["user"], "user"),
        userName: t("userName", 256),
        role: role("role"),
        device: readDevice(o["device"], "device"),
        grants: readGrants(o["grants"], "grants"),
        ...(o["org"] === undefined ? {} : { org: R.uint(o["org"], "org", MAX_ORGS - 1) }),
      };
    case "add-device": {
      const recovery = o["recovery"] === undefined ? undefined : R.obj(o["recovery"], "recovery", ["set", "sig", "cutoffs"]);
      return {
        type,
        user: readIdentity(o["user"], "user"),
        device: readDevice(o["device"], "device"),
        grants: readGrants(o["grants"], "grants"),
        ...(recovery === undefined ? {} : { recovery: { set: R.bytes(recovery["set"], "recovery.set", 16), sig: R.bytes(recovery["sig"], "recovery.sig", 64), ...(recovery["cutoffs"] === undefined ? {} : { cutoffs: readCutoffs(recovery["cutoffs"], "recovery.cutoffs") }) } }),
      };
    }
    case "revoke-device":
      return { type, device: b("device"), cutoff: R.uint(o["cutoff"], "cutoff"), rekeys: readGrants(o["rekeys"], "rekeys") };
    case "remove-member":
      return { type, user: b("user"), cutoffs: readCutoffs(o["cutoffs"], "cutoffs"), rekeys: readGrants(o["rekeys"], "rekeys") };
    case "set-role":
      return { type, user: b("user"), role: role("role"), cutoffs: readCutoffs(o["cutoffs"], "cutoffs"), rekeys: readGrants(o["rekeys"], "rekeys") };
    case "collection": {
      const app = o["app"] === undefined ? DEFAULT_APP : R.text(o["app"], "app", 32, 1);
      if (!APP_NAME.test(app)) R.fail(`app "${app}" is not an app name (lowercase letters, digits, dashes)`);
      return { type, id: t("id", 64), name: t("name", 256), read: role("read"), write: role("write"), grants: readGrants(o["grants"], "grants"), app };
    }
    case "set-policy":
      return { type, collection: t("collection", 64), read: role("read"), write: role("write"), cutoffs: readCutoffs(o["cutoffs"], "cutoffs"), rekeys: readGrants(o["rekeys"], "rekeys") };
    case "compact":
      return { type, collection: t("collection", 64), frontier: readFrontier(o["frontier"], "frontier"), rekeys: readGrants(o["rekeys"], "rekeys") };
    case "set-approvals":
      return { type, k: R.uint(o["k"], "k", 64) };
    case "approve":
      return { type, proposal: b("proposal") };
    case "transport-key": {
      const to = readIdSet(o["to"], "to", 1024, KEY);
      if (to.length === 0) R.fail("to names no device");
      return { type, key: R.bytes(o["key"], "key", KEY_ID), to, sealed: R.bytes(o["sealed"], "sealed", 1, 64 * 1024) };
    }
    case "courier": {
      const key = b("key");
      if (!isValidX25519PublicKey(key)) R.fail("key is a low-order X25519 key (anything sealed to it would be readable by all)");
      const name = t("name", 64);
      if (!COURIER_NAME.test(name)) R.fail("name must be lowercase letters, digits, dots, dashes or underscores");
      return { type, name, key };
    }
    case "revoke-courier":
      return { type, key: b("key") };
    case "grant":
      return { type, grants: readGrants(o["grants"], "grants") };
    case "add-org":
      // The name rules of a genesis's orgs; distinctness and the count of 16 are the fold's (it knows the space).
      return { type, name: t("name", 256) };
    case "remove-org":
      return { type, org: R.uint(o["org"], "org", MAX_ORGS - 1), cutoffs: readCutoffs(o["cutoffs"], "cutoffs"), rekeys: readGrants(o["rekeys"], "rekeys") };
    case "recovery-set": {
      const threshold = R.uint(o["threshold"], "threshold", MAX_RECOVERY_SHARES);
      const shares = readIdSet(o["shares"], "shares", MAX_RECOVERY_SHARES, 32);
      if (threshold < 2) R.fail("threshold must be at least 2 (one share alone must reveal nothing)");
      if (shares.length < threshold) R.fail(`names ${shares.length} shares for a threshold of ${threshold}`);
      const sealed = R.array(o["sealed"], "sealed", shares.length).map((x, i) => R.bytes(x, `sealed[${i}]`, 1, MAX_SEALED_SHARE));
      return { type, set: R.bytes(o["set"], "set", 16), threshold, key: readIdentity(o["key"], "key"), shares, sealed, sig: R.bytes(o["sig"], "sig", 64) };
    }
  }
}

/** Parses and verifies the signature of one signed entry. Throws TEAM_ENTRY_MALFORMED / TEAM_ENTRY_SIGNATURE. */
export function decodeEntry(bytes: Uint8Array): TeamEntry {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("entry bytes must be a Uint8Array");
  if (bytes.length > MAX_ENTRY_BYTES + 128) R.fail(`${bytes.length} bytes is over the ${MAX_ENTRY_BYTES}-byte limit`);
  const outer = R.obj(decodeObjectSafe(bytes), "entry", ["body", "sig"]);
  const body = R.bytes(outer["body"], "body", 1, MAX_ENTRY_BYTES);
  const sig = R.bytes(outer["sig"], "sig", 64);
  const o = R.obj(decodeObjectSafe(body), "body");
  const type = R.oneOf(o["type"], "type", TYPES);
  const v = o["v"] === undefined ? 0 : R.uint(o["v"], "v", 0xffff);
  // Unknown fields from a newer minor version are ignored, never guessed at (bundle payload rule).
  if (v <= ENTRY_MINOR_VERSION) for (const k of Object.keys(o)) if (!COMMON.includes(k) && !FIELDS[type].includes(k)) R.fail(`unknown field "${k}" in a ${type} entry`);
  const author = R.bytes(o["author"], "author", KEY);
  const time = R.uint(o["time"], "time");
  let team: Uint8Array | undefined;
  let parents: Uint8Array[] = [];
  if (type === "genesis") {
    if (o["team"] !== undefined || o["parents"] !== undefined) R.fail("a genesis entry has no team and no parents");
  } else {
    team = R.bytes(o["team"], "team", KEY);
    parents = R.array(o["parents"], "parents", MAX_HEADS).map((p, i) => R.bytes(p, `parents[${i}]`, KEY));
    if (parents.length === 0) R.fail("an entry after genesis names at least one parent");
    for (let i = 1; i < parents.length; i++) {
      if (Buffer.compare(parents[i - 1]!, parents[i]!) >= 0) R.fail("parents must be sorted and distinct");
    }
  }
  const parsed = readBody(o, type);
  if (v > ORG_FIELDS_MAX_V && (o["orgs"] !== undefined || o["org"] !== undefined)) R.fail(`organization fields are never marked with a version above ${ORG_FIELDS_MAX_V} (a release before shared spaces must refuse them, not ignore them)`);
  // A recovery proof changes who may add a device: one encoding, marked with the version that added it.
  if (parsed.type === "add-device" && parsed.recovery !== undefined && v < 2) R.fail("an add-device entry with a recovery proof must say v 2");
  if (!ed25519Verify(author, concatBytes(LABEL_SIG, body), sig)) {
    SIG.fail("the signature does not verify");
  }
  const hash = entryHash(body);
  return { hash, hashHex: hex(hash), team, parents, author, time, body: parsed, bytes };
}

function decodeObjectSafe(bytes: Uint8Array): Plain {
  try {
    return decodeObject(bytes, { maxBytes: MAX_ENTRY_BYTES + 128, maxDepth: 8, maxItems: 8192 });
  } catch (e) {
    return R.fail(`not canonical CBOR (${(e as Error).message})`);
  }
}
