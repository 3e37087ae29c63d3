/**
 * teams.json: the teams this courier serves, one entry per enrollment, with each team's
 * transport key (which only routes and tells cover from real bundles; it opens nothing) and its
 * generation, the keys of earlier generations kept for a grace period (drained, never used to
 * put), the admin devices whose enrollments it adopts on its own, mailbox URLs and cover-traffic
 * settings. Written whole, 0600. Generations: docs/transport-key.md.
 */
import { readFileSync, statSync } from "node:fs";
import { bucketFor, fromHex, isBucket, toHex, type CourierEnrollmentPayload } from "@airlock/bundle-format";
import { MAILBOX_PRUNE_AGE, TRANSPORT_GRACE_MS, TransportKey, transportKeyId } from "@airlock/shared";
import { courierError } from "../errors.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { CourierHome } from "./paths.js";

export type TeamId = string & { readonly __brand: "TeamId" };

export interface TeamConfig {
  /** The team's genesis hash, 64 lowercase hex digits. */
  readonly id: TeamId;
  readonly name: string;
  /** 64 lowercase hex digits. */
  readonly transportKey: string;
  readonly epochSeconds: number;
  readonly mailboxes: readonly string[];
  /** Bundles pushed per round per mailbox, real ones first, topped up with cover. */
  readonly sendPerRound: number;
  /**
   * Bucket sizes (each a Padmé bucket) cover bundles take until the courier has seen a real bundle
   * of the team; from then on cover copies the shapes of the team's recent real bundles.
   */
  readonly bucketSizes: readonly number[];
  /** Limits on what the team's mailboxes can make this courier fetch and keep (defaults: DEFAULT_QUOTAS). */
  readonly quotas?: Partial<TeamQuotas>;
  /** The transport key's generation (absent: 0, an enrollment from before generations). */
  readonly generation?: number;
  /** Signing keys (hex) of the team's admin devices: an enrollment for a later generation they signed is adopted at ingest. */
  readonly admins?: readonly string[];
  /** Keys of earlier generations, newest first, until they are of no more use. */
  readonly retired?: readonly RetiredKey[];
}

/**
 * A transport key the team replaced. Until `drainUntil` (TRANSPORT_GRACE_MS after the courier
 * adopted the next one) its tags are accepted and its namespaces listed, so bundles sealed or put
 * before the rotation reached everyone are not lost; it is never used to put. Until `pruneUntil`
 * (MAILBOX_PRUNE_AGE + 2 epochs after) its old namespaces are emptied; then it is forgotten.
 */
export interface RetiredKey {
  readonly generation: number;
  /** 64 lowercase hex digits. */
  readonly transportKey: string;
  readonly drainUntil: number;
  readonly pruneUntil: number;
}

/**
 * What anyone holding the team's transport key (a removed member, a seized courier) could
 * otherwise make this courier download and keep: bundles with valid real tags are spooled
 * whatever they hold, and only the vault tells a forgery (docs/courier-spool-and-mailboxes.md, "Quotas").
 */
export interface TeamQuotas {
  /** Inbound bundles not yet handed to the vault, at most; past it nothing more is fetched. */
  readonly inboundBundles: number;
  /** Their bytes, at most. */
  readonly inboundBytes: number;
  /** Names fetched per mailbox and round, at most (the rest wait for later rounds). */
  readonly fetchPerRound: number;
  /** Inbound bundles nobody delivered within this many days are dropped (and counted). */
  readonly inboundExpiryDays: number;
}

export const DEFAULT_QUOTAS: TeamQuotas = { inboundBundles: 2000, inboundBytes: 1024 ** 3, fetchPerRound: 256, inboundExpiryDays: 30 };
/** A namespace listing more than this many times `inboundBundles` names is reported as hostile. */
export const HOSTILE_LISTING_FACTOR = 10;

export function quotasOf(team: TeamConfig): TeamQuotas {
  return { ...DEFAULT_QUOTAS, ...team.quotas };
}

function checkQuotas(value: unknown, where: string): Partial<TeamQuotas> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw courierError("COURIER_BAD_CONFIG", `${where} has bad quotas`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(k in DEFAULT_QUOTAS) || typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
      throw courierError("COURIER_BAD_CONFIG", `${where}: quota ${JSON.stringify(k.slice(0, 40))} must be one of ${Object.keys(DEFAULT_QUOTAS).join(", ")} with a positive integer`);
    }
    out[k] = v;
  }
  return out;
}

export const DEFAULT_SEND_PER_ROUND = 4;
/** The Padmé bucket nearest 64 KiB (64 KiB itself): room for a typical sync bundle. */
export const DEFAULT_BUCKET_SIZES: readonly number[] = [bucketFor(64 * 1024)];
export const MAX_SEND_PER_ROUND = 1000;
const MAX_TEAMS_FILE = 1024 * 1024;
const MAX_COVER_BUCKET = 64 * 1024 * 1024;

export function checkSendPerRound(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SEND_PER_ROUND) {
    throw courierError("COURIER_BAD_ARGUMENT", `send-per-round must be an integer in 0..${MAX_SEND_PER_ROUND}, got ${n}`);
  }
  return n;
}

export function checkBucketSizes(sizes: readonly number[]): number[] {
  if (sizes.length === 0 || sizes.length > 16) throw courierError("COURIER_BAD_ARGUMENT", "give 1 to 16 bucket sizes");
  for (const s of sizes) {
    if (!isBucket(s) || s > MAX_COVER_BUCKET) {
      throw courierError("COURIER_BAD_ARGUMENT", `${s} is not a bucket size of at most 64 MiB (nearest: ${bucketFor(Math.min(Math.max(s, 1), MAX_COVER_BUCKET))})`);
    }
  }
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export function loadTeams(home: CourierHome): TeamConfig[] {
  let size: number;
  try {
    size = statSync(home.teamsFile).size;
  } catch {
    return [];
  }
  if (size > MAX_TEAMS_FILE) throw courierError("COURIER_BAD_CONFIG", `${home.teamsFile} is ${size} bytes, more than a teams file can be`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(home.teamsFile, "utf8"));
  } catch (e) {
    throw courierError("COURIER_BAD_CONFIG", `${home.teamsFile} is not valid JSON`, e);
  }
  const teams = (parsed as { teams?: unknown }).teams;
  if (!Array.isArray(teams)) throw courierError("COURIER_BAD_CONFIG", `${home.teamsFile} has no teams list`);
  return teams.map((t, i) => checkTeam(t, `${home.teamsFile} team ${i}`));
}

function checkTeam(t: unknown, where: string): TeamConfig {
  const o = t as Record<string, unknown>;
  const hex64 = (v: unknown): boolean => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
  if (typeof o !== "object" || o === null || !hex64(o["id"]) || !hex64(o["transportKey"]) || typeof o["name"] !== "string") {
    throw courierError("COURIER_BAD_CONFIG", `${where} is damaged`);
  }
  const mailboxes = o["mailboxes"];
  if (!Array.isArray(mailboxes) || !mailboxes.every((m) => typeof m === "string")) throw courierError("COURIER_BAD_CONFIG", `${where} has bad mailboxes`);
  const epochSeconds = o["epochSeconds"];
  if (typeof epochSeconds !== "number" || !Number.isSafeInteger(epochSeconds) || epochSeconds < 60) {
    throw courierError("COURIER_BAD_CONFIG", `${where} has a bad epochSeconds`);
  }
  const generation = o["generation"];
  if (generation !== undefined && (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0)) throw courierError("COURIER_BAD_CONFIG", `${where} has a bad generation`);
  const admins = o["admins"];
  if (admins !== undefined && (!Array.isArray(admins) || admins.length > 1024 || !admins.every(hex64))) throw courierError("COURIER_BAD_CONFIG", `${where} has bad admins`);
  const retired = o["retired"];
  const isRetired = (r: unknown): boolean => {
    const x = r as Record<string, unknown>;
    const ms = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
    return typeof x === "object" && x !== null && hex64(x["transportKey"]) && ms(x["generation"]) && ms(x["drainUntil"]) && ms(x["pruneUntil"]);
  };
  if (retired !== undefined && (!Array.isArray(retired) || retired.length > 64 || !retired.every(isRetired))) throw courierError("COURIER_BAD_CONFIG", `${where} has bad retired keys`);
  return {
    id: o["id"] as TeamId,
    name: o["name"],
    transportKey: o["transportKey"] as string,
    epochSeconds,
    mailboxes: mailboxes as string[],
    sendPerRound: checkSendPerRound(typeof o["sendPerRound"] === "number" ? o["sendPerRound"] : DEFAULT_SEND_PER_ROUND),
    bucketSizes: checkBucketSizes(Array.isArray(o["bucketSizes"]) ? (o["bucketSizes"] as number[]) : DEFAULT_BUCKET_SIZES),
    ...optional("quotas", checkQuotas(o["quotas"], where)),
    ...optional("generation", generation as number | undefined),
    ...optional("admins", admins as string[] | undefined),
    ...optional("retired", (retired as RetiredKey[] | undefined)?.map((r) => ({ generation: r.generation, transportKey: r.transportKey, drainUntil: r.drainUntil, pruneUntil: r.pruneUntil }))),
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));

export function saveTeams(home: CourierHome, teams: readonly TeamConfig[]): void {
  writeFileAtomic(home.teamsFile, `${JSON.stringify({ version: 1, teams }, null, 2)}\n`, 0o600);
}

export interface TeamSettings {
  readonly sendPerRound?: number;
  readonly bucketSizes?: readonly number[];
}

/**
 * Adds the enrolled team (or updates it: a new transport key from a re-enrollment replaces
 * the old, which is kept as retired for the grace period; a new mailbox URL is added beside the
 * others; an empty one adds none). Idempotent. The operator's enrollment overrides whatever the
 * courier adopted on its own (replacedNewer says it went back to an older or replaced key).
 */
export function upsertTeam(
  teams: readonly TeamConfig[],
  enrollment: CourierEnrollmentPayload,
  mailbox: string,
  settings: TeamSettings = {},
  now: number = Date.now(),
): { teams: TeamConfig[]; team: TeamConfig; added: boolean; replacedNewer: boolean } {
  const id = toHex(enrollment.team) as TeamId;
  const old = teams.find((t) => t.id === id);
  const generation = enrollment.generation ?? 0;
  const key = toHex(enrollment.transportKey);
  // The operator's own choice (`init FILE`) wins over what the courier adopted on its own, whatever
  // the numbers or an earlier replacement say: the way out of a forged or stranded adoption. The
  // caller warns when it goes back (replacedNewer).
  const replacedNewer = old !== undefined && old.transportKey !== key && (generation < (old.generation ?? 0) || (old.retired ?? []).some((r) => r.transportKey === key));
  const replaced = old !== undefined && old.transportKey !== key;
  const retired = [...(replaced ? [retire(old, now)] : []), ...(old?.retired ?? [])].filter((r) => r.pruneUntil > now && r.transportKey !== key);
  const team: TeamConfig = {
    id,
    name: enrollment.teamName,
    transportKey: key,
    epochSeconds: enrollment.epochSeconds,
    mailboxes: old === undefined ? (mailbox === "" ? [] : [mailbox]) : mailbox === "" || old.mailboxes.includes(mailbox) ? old.mailboxes : [...old.mailboxes, mailbox],
    sendPerRound: checkSendPerRound(settings.sendPerRound ?? old?.sendPerRound ?? DEFAULT_SEND_PER_ROUND),
    bucketSizes: checkBucketSizes(settings.bucketSizes ?? old?.bucketSizes ?? DEFAULT_BUCKET_SIZES),
    ...optional("quotas", old?.quotas),
    ...(generation > 0 || old?.generation !== undefined ? { generation } : {}),
    ...optional("admins", enrollment.admins?.map(toHex) ?? old?.admins),
    ...(retired.length > 0 ? { retired } : {}),
  };
  return { teams: old === undefined ? [...teams, team] : teams.map((t) => (t.id === id ? team : t)), team, added: old === undefined, replacedNewer };
}

function retire(team: TeamConfig, now: number): RetiredKey {
  return { generation: team.generation ?? 0, transportKey: team.transportKey, drainUntil: now + TRANSPORT_GRACE_MS, pruneUntil: now + (MAILBOX_PRUNE_AGE + 2) * team.epochSeconds * 1000 };
}

export type EnrollmentVerdict =
  | { readonly outcome: "adopted"; readonly teams: TeamConfig[]; readonly team: TeamConfig }
  /** The key it holds; `teams` when a trusted admin's enrollment refreshed the admins it trusts. */
  | { readonly outcome: "known"; readonly team: TeamConfig; readonly teams?: TeamConfig[] }
  /** Sealed to another courier: an admin's stick carries one per courier of the team. */
  | { readonly outcome: "not-for-me" }
  | { readonly outcome: "refused"; readonly code: string; readonly reason: string };

/** How far past the generation a courier holds an enrollment's number may go (a display number; a forged huge one is refused). */
export const MAX_GENERATION_JUMP = 1024;

const keyIdOf = (keyHex: string): string => {
  const raw = fromHex(keyHex);
  try {
    return toHex(transportKeyId(raw));
  } finally {
    raw.fill(0);
  }
};

/**
 * An enrollment that arrived with a vault's bundles (not through `init`): adopted only for a team
 * this courier serves, signed by one of the admin devices the courier trusts, and only when it
 * names the key the courier holds among the ones it supersedes (1.2; a 1.1 enrollment without
 * that list: a later generation number). Lineage, not numbers: two vaults that saw concurrent
 * rotations in another order number them differently. A key the courier already retired is
 * refused, so a stale enrollment never moves it back. An enrollment for the key it holds, from a
 * trusted admin, refreshes the list of admins it trusts (docs/transport-key.md, "Couriers").
 */
export function adoptEnrollment(teams: readonly TeamConfig[], enrollment: CourierEnrollmentPayload, sender: Uint8Array, now: number): EnrollmentVerdict {
  const id = toHex(enrollment.team) as TeamId;
  const old = teams.find((t) => t.id === id);
  if (old === undefined) return { outcome: "refused", code: "COURIER_NOT_SERVED", reason: "an enrollment for a team this courier does not serve (a new team needs airlock-courier init)" };
  const generation = enrollment.generation ?? 0;
  const current = old.generation ?? 0;
  const key = toHex(enrollment.transportKey);
  const trusted = old.admins !== undefined && old.admins.includes(toHex(sender));
  if (key === old.transportKey) {
    const admins = enrollment.admins?.map(toHex);
    if (!trusted || admins === undefined || sameList(admins, old.admins ?? [])) return { outcome: "known", team: old };
    // A trusted admin's current list: a demoted or removed admin drops out, a new one comes in.
    const team: TeamConfig = { ...old, admins };
    return { outcome: "known", team, teams: teams.map((t) => (t.id === id ? team : t)) };
  }
  if (!trusted) {
    return { outcome: "refused", code: "COURIER_ENROLLMENT_SENDER", reason: "an enrollment not signed by an admin device of the team this courier knows; if it is genuine, run airlock-courier init FILE" };
  }
  if ((old.retired ?? []).some((r) => r.transportKey === key)) return { outcome: "refused", code: "COURIER_OLD_GENERATION", reason: "an enrollment for a key this courier already replaced" };
  if (generation > current + MAX_GENERATION_JUMP) return { outcome: "refused", code: "COURIER_OLD_GENERATION", reason: `an enrollment numbered generation ${generation}, too far past the ${current} this courier holds; if it is genuine, run airlock-courier init FILE` };
  // Generation 0, the team's first key, is never in the log and every generation replaces it.
  const successor = enrollment.supersedes === undefined || current === 0 ? generation > current : enrollment.supersedes.some((s) => toHex(s) === keyIdOf(old.transportKey));
  if (!successor) return { outcome: "refused", code: "COURIER_OLD_GENERATION", reason: `an enrollment (generation ${generation} as its signer numbers it) that does not replace the key this courier holds (generation ${current})` };
  const { teams: next, team } = upsertTeam(teams, enrollment, "", {}, now);
  return { outcome: "adopted", teams: next, team };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

/** A served team's earlier generations still of use at `now`, as keys (the caller wipes them). */
export function retiredKeysOf(team: TeamConfig, now: number): { generation: number; tk: TransportKey; drainUntil: number; pruneUntil: number }[] {
  return (team.retired ?? [])
    .filter((r) => r.pruneUntil > now)
    .map((r) => {
      const raw = fromHex(r.transportKey);
      try {
        return { generation: r.generation, tk: new TransportKey(raw, team.epochSeconds), drainUntil: r.drainUntil, pruneUntil: r.pruneUntil };
      } finally {
        raw.fill(0);
      }
    });
}

export function transportKeyOf(team: TeamConfig): TransportKey {
  const raw = fromHex(team.transportKey);
  try {
    return new TransportKey(raw, team.epochSeconds);
  } finally {
    raw.fill(0);
  }
}
