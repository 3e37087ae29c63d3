/**
 * What the judge (judge.ts), the importer and exporter (sync.ts) and the log-heads bookkeeping
 * (log-acks.ts) need of the vault, and nothing more. The Vault implements it; they import this
 * instead of vault.ts, so the vault can call them without an import cycle.
 */
import type { KeyPair } from "@airlock/bundle-format";
import type { TransportKey } from "@airlock/shared";
import type { Storage } from "../store/index.js";
import type { AppModule } from "../apps/app.js";
import type { TeamEntry } from "../team/entry.js";
import type { TeamState } from "../team/state.js";

export interface VaultContext {
  /** Where the vault lives (attached files are kept in its blobs/ folder). */
  readonly store: { readonly dir: string };
  /** Every table, through the storage module. */
  readonly storage: Storage;
  /** The apps this vault knows. */
  readonly apps: readonly AppModule[];
  /** The vault's clock (ms). */
  now(): number;
  /** One store transaction; in-memory caches are dropped if it fails. */
  tx<T>(fn: () => T): T;

  // ---- identity
  readonly teamId: string | undefined;
  readonly deviceId: string;
  readonly deviceKey: KeyPair;
  readonly encryptionKey: KeyPair;
  transportKey(): TransportKey | undefined;

  // ---- team log and state
  entries(): Map<string, TeamEntry>;
  state(): TeamState;
  requireTeam(): TeamState;
  stateAt(heads: readonly Uint8Array[]): TeamState | undefined;
  stateAtHex(heads: readonly string[]): TeamState | undefined;
  ancestorsOf(heads: readonly string[]): ReadonlySet<string> | undefined;
  /** Stores verified entries; returns how many were new. Inside a transaction. */
  storeEntries(entries: readonly TeamEntry[]): number;
  /** Opens new grants and re-judges after the log changed. Inside a transaction. */
  afterTeamChange(): void;
  adoptTeam(teamHex: string, log: readonly TeamEntry[], transportKey: Uint8Array, rank?: number, sender?: string): TeamState;
  betterWelcome(rank: number, transportKey: Uint8Array, sender: string, rankOf: (device: string) => number): void;

  // ---- keys, clock, equivocations
  keyById(keyId: Uint8Array, collection: string): Uint8Array | undefined;
  withKeyCache<T>(fn: () => T): T;
  observe(wall: number, counter: number, device: string): void;
  forkSeq(deviceHex: string): number | undefined;
  /** Drops the cached forks after one was recorded. */
  forgetForks(): void;
}
