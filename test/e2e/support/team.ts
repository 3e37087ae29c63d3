/**
 * The team of the story, built once with the real vault CLI and then copied for each mailbox
 * backend (a vault is a folder of files; each copy is used by one run only, never mixed):
 *
 *   A  alice's first laptop (owner)      A2 alice's second laptop (same user)
 *   B  bob's laptop (editor)             V  vera's laptop (viewer)
 *
 * Join requests travel as QR images; the welcome bundles travel on a USB folder that is walked
 * from laptop to laptop; the joiners' first exports (their acks) come back on another one, so
 * A knows every device has the team and its later exports are plain sync bundles.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { passphraseBytes } from "../../../offline-signer/src/store/index.js";
import { stateDigest } from "../../../offline-signer/src/vault/report.js";
import { Vault } from "../../../offline-signer/src/vault/vault.js";
import { airlock, PASSPHRASE, type Json } from "./cli.js";

export const VAULTS = ["a", "a2", "b", "v"] as const;
export type VaultName = (typeof VAULTS)[number];

/** Strings that must never appear outside a vault (and, once written, only in readers' vaults). */
export const CANARY = {
  sourceTitle: "canary-source-title-5b1f",
  sourceBody: "canary-source-body-e07c",
  routeTitle: "canary-route-title-91aa",
  routeBody: "canary-route-body-3d62",
  openNote: "canary-open-note-c4d8",
  bobTitle: "canary-bob-title-77e0",
  aliceBody: "canary-alice-body-2a9b",
  afterRemoval: "canary-after-removal-f00d",
} as const;

export interface Team {
  readonly root: string;
  home(v: VaultName): string;
  /** Note ids in the editor-only `sources` collection and in the default `notes` collection. */
  readonly sourceNote: string;
  readonly routeNote: string;
  readonly openNote: string;
  /** A bundle file B sent earlier, which A already imported (for the replay). */
  readonly oldBundle: string;
}

const homeOf = (root: string) => (v: VaultName): string => join(root, `vault-${v}`);

export function buildTeam(root: string): Team {
  mkdirSync(root, { recursive: true });
  const home = homeOf(root);
  airlock(home("a"), ["init", "--team", "Field office", "--name", "alice"]);
  const requests: Record<string, Json> = {};
  for (const [v, name] of [["b", "bob"], ["a2", "alice"], ["v", "vera"]] as const) {
    requests[v] = airlock(home(v), ["join", "--name", name, "--out", join(root, `${v}.request`), "--qr", join(root, `${v}-request-qr`)]);
  }
  // The admin's screen and the joiner's screen must show the same fingerprint.
  const check = (added: Json, v: string): void => {
    if (added["fingerprint"] !== requests[v]!["fingerprint"]) throw new Error(`fingerprint mismatch for ${v}`);
  };
  check(airlock(home("a"), ["members", "add", join(root, "b-request-qr"), "--role", "editor"]), "b");
  check(airlock(home("a"), ["devices", "add", join(root, "a2-request-qr")]), "a2");
  check(airlock(home("a"), ["members", "add", join(root, "v-request-qr"), "--role", "viewer"]), "v");
  airlock(home("a"), ["collections", "add", "sources", "--name", "Sources", "--read", "editor", "--write", "editor"]);
  const sourceNote = airlock(home("a"), ["notes", "add", "--collection", "sources", "--title", CANARY.sourceTitle, "--body", CANARY.sourceBody])["id"] as string;
  const routeNote = airlock(home("a"), ["notes", "add", "--collection", "sources", "--title", CANARY.routeTitle, "--body", CANARY.routeBody])["id"] as string;
  const openNote = airlock(home("a"), ["notes", "add", "--title", CANARY.openNote, "--body", "for every member"])["id"] as string;

  const welcome = join(root, "usb-welcome");
  mkdirSync(welcome);
  airlock(home("a"), ["export", "--usb", welcome]);
  for (const v of ["b", "a2", "v"] as const) airlock(home(v), ["import", welcome]);
  const acks = join(root, "usb-acks");
  mkdirSync(acks);
  for (const v of ["b", "a2", "v"] as const) airlock(home(v), ["export", "--usb", acks]);
  // Every laptop reads the acks stick, so each has heard from every other device and none of
  // them keeps exporting welcomes (a vault sends a welcome to a device it never heard from).
  for (const v of VAULTS) airlock(home(v), ["import", acks]);
  const outbox = join(acks, "airlock", "outbox");
  const oldBundle = join(root, "old-bundle-from-b.airlock");
  // Any of them will do: A already imported all of them.
  cpSync(join(outbox, readdirSync(outbox).sort()[0]!), oldBundle);
  return { root, home, sourceNote, routeNote, openNote, oldBundle };
}

/** A copy of the team's four vaults (and the old bundle) under `root`. */
export function copyTeam(team: Team, root: string): Team {
  mkdirSync(root, { recursive: true });
  const home = homeOf(root);
  for (const v of VAULTS) cpSync(team.home(v), home(v), { recursive: true });
  const oldBundle = join(root, "old-bundle-from-b.airlock");
  cpSync(team.oldBundle, oldBundle);
  return { ...team, root, home, oldBundle };
}

/**
 * The vault's own digest of its merged state (members, devices, collections, and every record
 * of the collections it can read), computed by the offline-signer library on the vault files.
 */
export async function digest(home: string): Promise<string> {
  const vault = await Vault.open(home, passphraseBytes(PASSPHRASE), { kdf: "test-insecure" });
  try {
    return stateDigest(vault);
  } finally {
    vault.close();
  }
}

export interface NoteView {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly comments: unknown[];
}

export function notes(home: string, collection: "sources" | "notes"): NoteView[] {
  return airlock(home, ["notes", "list", "--collection", collection])["notes"] as NoteView[];
}

export interface Status {
  readonly members: { name: string; role: string; active: boolean }[];
  readonly collections: { id: string; canRead: boolean; records: number }[];
  readonly quarantine: { reason: string }[];
}

export function status(home: string): Status {
  return airlock(home, ["status"])["status"] as Status;
}

/** Every regular file under `dirs` that contains one of `needles` (as bytes). */
export function filesContaining(dirs: readonly string[], needles: readonly string[]): string[] {
  const hits: string[] = [];
  const wanted = needles.map((n) => Buffer.from(n));
  for (const dir of dirs) {
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      if (statSync(path).size === 0) continue;
      const bytes = readFileSync(path);
      for (const w of wanted) if (bytes.includes(w)) hits.push(`${path}: ${w.toString()}`);
    }
  }
  return hits;
}
