/**
 * What a mailbox server (`airlock-courier serve`) keeps: per served team, the mailbox server
 * key (docs/transport-key.md, "Key hierarchy"), the epoch length, and the public half of the
 * team's onion client authorization. Never a transport key: a server home cannot tell a team's
 * real bundles from its cover, whoever reads it.
 *
 * The same shape travels from a courier to the server's operator as a key file
 * (`airlock-courier mailbox-key --out F` on a courier of the team, `airlock-courier serve-init F`
 * on the server), and is kept in the server's home as mailbox-server.json (0600).
 *
 * After the team rotates its transport key (docs/transport-key.md, "Generations") a courier that
 * holds the new generation writes a key file whose entry names the same team tag and a higher
 * generation; serve-init then replaces the older generation's server key (restart serve), so a
 * removed member's or revoked courier's tokens open nothing there any more. The team tag is a
 * one-way hash of the team id: it tells the server which entry a new one replaces, nothing else.
 */
import { readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fromHex, MAX_GENERATION, toHex } from "@airlock/bundle-format";
import { MailboxServerKey } from "@airlock/shared";
import { courierError } from "../errors.js";
import { onionClientAuthKeys } from "../tor/client-auth.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { CourierHome } from "./paths.js";
import type { TeamConfig } from "./teams.js";
import { transportKeyOf } from "./teams.js";

export const MAILBOX_SERVER_FILE = "mailbox-server.json";
export const MAILBOX_KEY_KIND = "airlock-mailbox-server-key";
const MAX_FILE = 1024 * 1024;
const MAX_TEAMS = 1000;

export interface ServedMailbox {
  /** 64 lowercase hex digits: the mailbox server key. */
  readonly serverKey: string;
  readonly epochSeconds: number;
  /** The team's onion client authorization public key (52 base32 characters), for `serve --onion`. */
  readonly onionClientAuth: string;
  /** SHA-256("airlock/v1/mailbox-server-team" || team id)[0..16], hex: which entry a later generation replaces. */
  readonly team?: string;
  /** The transport key generation the server key comes from. */
  readonly generation?: number;
}

/** The tag a server keeps per team instead of its id. */
export function serverTeamTag(teamId: string): string {
  return createHash("sha256").update("airlock/v1/mailbox-server-team").update(Buffer.from(teamId, "hex")).digest("hex").slice(0, 32);
}

/** What a courier hands a mailbox server for one of its teams: derived, never the transport key itself. */
export function servedMailboxOf(team: TeamConfig): ServedMailbox {
  const tk = transportKeyOf(team);
  const server = tk.mailboxServerKey();
  const raw = server.exportKey();
  try {
    return { serverKey: toHex(raw), epochSeconds: team.epochSeconds, onionClientAuth: onionClientAuthKeys(tk).publicKeyBase32, team: serverTeamTag(team.id), generation: team.generation ?? 0 };
  } finally {
    raw.fill(0);
    server.wipe();
    tk.wipe();
  }
}

export function mailboxKeyFileText(entries: readonly ServedMailbox[]): string {
  return `${JSON.stringify({ kind: MAILBOX_KEY_KIND, version: 1, teams: entries }, null, 2)}\n`;
}

/** Parses a mailbox key file (or mailbox-server.json): bounded, every field checked. */
export function parseMailboxKeyFile(text: string, where: string): ServedMailbox[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw courierError("COURIER_BAD_SERVER_KEY", `${where} is not valid JSON`, e);
  }
  const o = parsed as { kind?: unknown; version?: unknown; teams?: unknown };
  if (typeof o !== "object" || o === null || o.kind !== MAILBOX_KEY_KIND || o.version !== 1 || !Array.isArray(o.teams) || o.teams.length > MAX_TEAMS) {
    throw courierError("COURIER_BAD_SERVER_KEY", `${where} is not a mailbox server key file (version 1)`);
  }
  return o.teams.map((t: unknown, i) => {
    const e = t as Record<string, unknown>;
    const ok =
      typeof e === "object" &&
      e !== null &&
      typeof e["serverKey"] === "string" &&
      /^[0-9a-f]{64}$/.test(e["serverKey"]) &&
      typeof e["epochSeconds"] === "number" &&
      Number.isSafeInteger(e["epochSeconds"]) &&
      e["epochSeconds"] >= 60 &&
      typeof e["onionClientAuth"] === "string" &&
      /^[A-Z2-7]{52}$/.test(e["onionClientAuth"]) &&
      (e["team"] === undefined || (typeof e["team"] === "string" && /^[0-9a-f]{32}$/.test(e["team"]))) &&
      (e["generation"] === undefined || (typeof e["generation"] === "number" && Number.isSafeInteger(e["generation"]) && e["generation"] >= 0 && e["generation"] <= MAX_GENERATION));
    if (!ok) throw courierError("COURIER_BAD_SERVER_KEY", `${where}: team ${i} is damaged`);
    const lineage = e["team"] === undefined ? {} : { team: e["team"] as string, generation: (e["generation"] as number | undefined) ?? 0 };
    return { serverKey: e["serverKey"] as string, epochSeconds: e["epochSeconds"] as number, onionClientAuth: e["onionClientAuth"] as string, ...lineage };
  });
}

export function readMailboxKeyFile(path: string): ServedMailbox[] {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw courierError("COURIER_BAD_SERVER_KEY", `cannot read ${path}`, e);
  }
  if (size > MAX_FILE) throw courierError("COURIER_BAD_SERVER_KEY", `${path} is ${size} bytes, more than a mailbox server key file can be`);
  return parseMailboxKeyFile(readFileSync(path, "utf8"), path);
}

/** The served mailboxes of a server home; empty if it has none yet. */
export function loadServedMailboxes(home: CourierHome): ServedMailbox[] {
  const path = join(home.root, MAILBOX_SERVER_FILE);
  try {
    statSync(path);
  } catch {
    return [];
  }
  return readMailboxKeyFile(path);
}

/**
 * Adds entries: a key already served is replaced (importing twice changes nothing), and so is an
 * earlier generation of the same team (its tokens stop opening anything once serve restarts); an
 * entry older than the generation served for its team is refused (COURIER_OLD_GENERATION) unless
 * `force`. Generation numbers are the courier's display numbers, at most MAX_GENERATION.
 */
export function saveServedMailboxes(home: CourierHome, added: readonly ServedMailbox[], options: { force?: boolean } = {}): { served: ServedMailbox[]; added: number; replaced: number } {
  const old = loadServedMailboxes(home);
  // --force: the operator's file wins (a wrong or forged higher number would block every honest update).
  for (const e of options.force === true ? [] : added) {
    const newer = old.find((o) => e.team !== undefined && o.team === e.team && (o.generation ?? 0) > (e.generation ?? 0));
    if (newer !== undefined) throw courierError("COURIER_OLD_GENERATION", `this key file holds generation ${e.generation ?? 0} of a team the server already serves with generation ${newer.generation ?? 0}`);
  }
  const keys = new Set(added.map((e) => e.serverKey));
  const teams = new Set(added.flatMap((e) => (e.team === undefined ? [] : [e.team])));
  const kept = old.filter((e) => !keys.has(e.serverKey) && (e.team === undefined || !teams.has(e.team)));
  const served = [...kept, ...added];
  if (served.length > MAX_TEAMS) throw courierError("COURIER_BAD_SERVER_KEY", `a mailbox server serves at most ${MAX_TEAMS} teams`);
  writeFileAtomic(join(home.root, MAILBOX_SERVER_FILE), mailboxKeyFileText(served), 0o600);
  const replaced = old.filter((e) => !keys.has(e.serverKey) && e.team !== undefined && teams.has(e.team)).length;
  return { served, added: served.length - old.length + replaced, replaced };
}

/** The keys `serve` hands the HTTP server. The caller wipes them when it stops. */
export function serverKeysOf(served: readonly ServedMailbox[]): MailboxServerKey[] {
  return served.map((e) => {
    const raw = fromHex(e.serverKey);
    try {
      return new MailboxServerKey(raw, e.epochSeconds);
    } finally {
      raw.fill(0);
    }
  });
}
