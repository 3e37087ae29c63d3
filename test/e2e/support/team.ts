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
import { fingerprintArgs } from "../../../offline-signer/test-support/fingerprint.js";
import { airlock, airlockMany, PASSPHRASE, type Json, type Step } from "./cli.js";

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
  const welcome = join(root, "usb-welcome");
  const acks = join(root, "usb-acks");
  mkdirSync(welcome);
  mkdirSync(acks);
  // Every step in one process, in the order people would do them: the fixture is not about
  // process start-up (each command still opens and closes its own vault).
  const steps: Step[] = [];
  const step = (v: VaultName, args: readonly string[]): number => steps.push({ home: home(v), args }) - 1;
  step("a", ["init", "--team", "Field office", "--name", "alice"]);
  const requests: Record<string, number> = {};
  for (const [v, name] of [["b", "bob"], ["a2", "alice"], ["v", "vera"]] as const) {
    requests[v] = step(v, ["join", "--name", name, "--out", join(root, `${v}.request`), "--qr", join(root, `${v}-request-qr`)]);
  }
  // The requests exist once the joins ran; the admin then reads each one's fingerprint, as a person would from the joiner's screen.
  const joins = airlockMany(steps.splice(0));
  const added: Record<string, number> = {
    b: step("a", ["members", "add", join(root, "b-request-qr"), "--role", "editor", ...fingerprintArgs(join(root, "b.request"))]),
    a2: step("a", ["devices", "add", join(root, "a2-request-qr"), ...fingerprintArgs(join(root, "a2.request"))]),
    v: step("a", ["members", "add", join(root, "v-request-qr"), "--role", "viewer", ...fingerprintArgs(join(root, "v.request"))]),
  };
  step("a", ["collections", "add", "sources", "--name", "Sources", "--read", "editor", "--write", "editor"]);
  const sourceNote = step("a", ["notes", "add", "--collection", "sources", "--title", CANARY.sourceTitle, "--body", CANARY.sourceBody]);
  const routeNote = step("a", ["notes", "add", "--collection", "sources", "--title", CANARY.routeTitle, "--body", CANARY.routeBody]);
  const openNote = step("a", ["notes", "add", "--title", CANARY.openNote, "--body", "for every member"]);

  step("a", ["export", "--usb", welcome]);
  for (const v of ["b", "a2", "v"] as const) step(v, ["import", welcome]);
  for (const v of ["b", "a2", "v"] as const) step(v, ["export", "--usb", acks]);
  // Every laptop reads the acks stick, so each has heard from every other device and none of
  // them keeps exporting welcomes (a vault sends a welcome to a device it never heard from).
  for (const v of VAULTS) step(v, ["import", acks]);
  const out = airlockMany(steps);
  // The admin's screen and the joiner's screen must show the same fingerprint.
  for (const v of ["b", "a2", "v"]) {
    if (out[added[v]!]!["fingerprint"] !== joins[requests[v]!]!["fingerprint"]) throw new Error(`fingerprint mismatch for ${v}`);
  }
  const outbox = join(acks, "airlock", "outbox");
  const oldBundle = join(root, "old-bundle-from-b.airlock");
  // Any of them will do: A already imported all of them.
  cpSync(join(outbox, readdirSync(outbox).sort()[0]!), oldBundle);
  const id = (i: number): string => out[i]!["id"] as string;
  return { root, home, sourceNote: id(sourceNote), routeNote: id(routeNote), openNote: id(openNote), oldBundle };
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

/** The `notes list` step for airlockMany(), and its result read. */
export const notesStep = (home: string, collection: "sources" | "notes"): Step => ({ home, args: ["notes", "list", "--collection", collection] });
export const notesOf = (j: Json): NoteView[] => j["notes"] as NoteView[];

export function notes(home: string, collection: "sources" | "notes"): NoteView[] {
  return airlock(home, ["notes", "list", "--collection", collection])["notes"] as NoteView[];
}

export interface Status {
  readonly members: { name: string; role: string; active: boolean }[];
  readonly collections: { id: string; canRead: boolean; records: number }[];
  readonly quarantine: { reason: string }[];
}

/** The `status` step for airlockMany(), and its result read. */
export const statusStep = (home: string): Step => ({ home, args: ["status"] });
export const statusOf = (j: Json): Status => j["status"] as Status;

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
