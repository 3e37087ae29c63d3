/**
 * The team the fold-level recovery tests attack (team/recovery-enrol.test.ts,
 * team/recovery-adversary.test.ts): Alice (owner), Dana and Mallory (editors), and Dana's
 * recovery set of 2 of 2 paper shares, combined here into the keys a recovered laptop holds.
 */
import { combine } from "shamir-secret-sharing";
import { ed25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { setupRecovery } from "../src/recovery/setup.js";
import type { Vault } from "../src/vault/vault.js";
import { newVault, sync, TestClock } from "./vaults.js";

export interface RecoveryTeam {
  a: Vault;
  d: Vault;
  m: Vault;
  /** Dana's set id and its recovery-set entry (hex). */
  set: Uint8Array;
  setEntry: string;
  /** Dana's identity and the recovery key her two paper shares combine into. */
  identity: KeyPair;
  recovery: KeyPair;
  /** Heads before Dana's set: what a backdated entry names. */
  before: Uint8Array[];
}

/** Builds the team in `root` (a folder from tempRoots). */
export async function recoveryTeam(root: string): Promise<RecoveryTeam> {
  const clock = new TestClock();
  const a = await newVault(root, "a", clock);
  a.init("Field office", "alice");
  const d = await newVault(root, "d", clock);
  const m = await newVault(root, "m", clock);
  a.addMember(d.joinRequest("dana").bytes, "editor");
  a.addMember(m.joinRequest("mallory").bytes, "editor");
  sync(a, d, m);
  const before = a.state().heads.map((h) => Buffer.from(h, "hex"));
  const setup = await setupRecovery(d, { threshold: 2, holders: [], paper: 2 });
  sync(d, a, m);
  const secret = await combine(setup.paper.map((p) => p.piece.share));
  return { a, d, m, set: setup.set, setEntry: setup.entry.hashHex, identity: ed25519KeyPair(secret.slice(0, 32)), recovery: ed25519KeyPair(secret.slice(32)), before };
}
