/**
 * A vault's spaces (docs/spaces.md): the first space is the vault's own store (vault.json,
 * vault.db in the vault folder); every further space is a store of its own in
 * `spaces/<random id>/`, under a random page key kept as a secret in the first store, next to
 * the index of spaces (id, local name, created) and the space set with `airlock spaces use`.
 * One passphrase opens them all; a seized laptop shows how many spaces there are (folders),
 * never which (names live inside the encrypted first store).
 */
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AirlockError, quoted } from "@airlock/shared";
import { checkName } from "../vault/names.js";
import { VaultStore } from "../store/vault-store.js";
import { Vault, type VaultOpenOptions } from "../vault/vault.js";
import { MAX_SPACES, SPACE_ID, SPACES_DIR, spaceKeyName } from "./layout.js";

export { MAX_SPACES, SPACES_DIR } from "./layout.js";
const META_INDEX = "spaces.index";
const META_CURRENT = "spaces.current";
const ID_BYTES = 16;
/** What the first space is called while it is in no team yet. */
export const FIRST_SPACE_NAME = "main";

/** A further space as the index knows it. */
export interface SpaceEntry {
  /** Random, 32 hex digits: its folder's name. */
  readonly id: string;
  /** The local name it is looked up by: the team's name for a space made here, the name given at `spaces join`. */
  readonly name: string;
  readonly created: number;
  /** Left (`spaces leave`): its device is revoked there, and it is deleted after the next export. */
  readonly leaving?: true;
}

/** A space to work in: the first (id "") or a further one. */
export interface SpaceRef {
  readonly id: string;
  readonly name: string;
}

export const FIRST: (name: string) => SpaceRef = (name) => ({ id: "", name });

function spaceError(code: string, message: string, hint: string): AirlockError {
  return new AirlockError(code, message, { hint });
}

/** The index, checked: a damaged one is an error, never a silently shorter list. */
export function readIndex(first: Vault): SpaceEntry[] {
  const raw = first.storage.meta.get(META_INDEX);
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const bad = (): never => {
    throw spaceError("VAULT_CORRUPT", "the vault's index of spaces is damaged", "restore the vault from a backup (airlock restore)");
  };
  if (!Array.isArray(parsed) || parsed.length > MAX_SPACES) return bad();
  return parsed.map((e: unknown) => {
    const o = e as Record<string, unknown>;
    if (typeof o !== "object" || o === null || typeof o["id"] !== "string" || !SPACE_ID.test(o["id"]) || typeof o["name"] !== "string" || typeof o["created"] !== "number") return bad();
    if (o["leaving"] !== undefined && o["leaving"] !== true) return bad();
    return { id: o["id"], name: o["name"], created: o["created"], ...(o["leaving"] === true ? { leaving: true as const } : {}) };
  });
}

function writeIndex(first: Vault, index: readonly SpaceEntry[]): void {
  first.storage.meta.set(META_INDEX, JSON.stringify(index));
}

/** The first space's name: its team's, or "main" before it is in one. */
export function firstName(first: Vault): string {
  return first.teamId === undefined ? FIRST_SPACE_NAME : first.state().name;
}

/** Every space of the vault, the first one first. */
export function allSpaces(first: Vault): SpaceRef[] {
  return [FIRST(firstName(first)), ...readIndex(first).map((e) => ({ id: e.id, name: e.name }))];
}

function same(a: string, b: string): boolean {
  return a.normalize("NFC").toLowerCase() === b.normalize("NFC").toLowerCase();
}

/**
 * The space `ref` names: a space's name (case-insensitive) or the start of its id (at least 4
 * hex digits). Unknown or ambiguous is SPACE_NOT_FOUND naming the spaces there are.
 */
export function findSpace(first: Vault, ref: string): SpaceRef {
  const spaces = allSpaces(first);
  let byName = spaces.filter((s) => same(s.name, ref));
  // Two names differing only in case: the exact spelling decides (a team's name comes from its admin).
  if (byName.length > 1) byName = byName.filter((s) => s.name.normalize("NFC") === ref.normalize("NFC"));
  if (byName.length === 1) return byName[0]!;
  // `first` always reaches the first space, whatever its team is called (no space may take that name).
  if (byName.length === 0 && same(ref, FIRST_ALIAS)) return spaces[0]!;
  const byId = /^[0-9a-f]{4,32}$/.test(ref) ? spaces.filter((s) => s.id !== "" && s.id.startsWith(ref)) : [];
  if (byName.length === 0 && byId.length === 1) return byId[0]!;
  const names = spaces.map((s) => quoted(s.name)).join(", ");
  if (byName.length + byId.length > 1) {
    throw spaceError("SPACE_AMBIGUOUS", `${quoted(ref)} names more than one space`, `use the space's id (airlock spaces list), or "${FIRST_ALIAS}" for the first space; spaces: ${names}`);
  }
  throw spaceError("SPACE_NOT_FOUND", `no space named ${quoted(ref)}`, `spaces here: ${names} ("${FIRST_ALIAS}" is always the first; airlock spaces list)`);
}

/** What always names the first space on the command line. */
export const FIRST_ALIAS = "first";

/** The space commands work in without --space: the one set with `spaces use`, else the first. */
export function currentSpace(first: Vault): SpaceRef {
  const id = first.storage.meta.get(META_CURRENT);
  const entry = id === undefined ? undefined : readIndex(first).find((e) => e.id === id);
  return entry === undefined ? FIRST(firstName(first)) : { id: entry.id, name: entry.name };
}

export function useSpace(first: Vault, space: SpaceRef): void {
  first.tx(() => (space.id === "" ? first.storage.meta.delete(META_CURRENT) : first.storage.meta.set(META_CURRENT, space.id)));
}

export function spaceDir(first: Vault, id: string): string {
  return join(first.store.dir, SPACES_DIR, id);
}

/** Opens a further space (the first space is `first` itself). */
export function openSpace(first: Vault, space: SpaceRef, options: VaultOpenOptions = {}): Vault {
  if (space.id === "") throw new RangeError("the first space is the vault itself");
  const key = first.store.getSecret(spaceKeyName(space.id));
  if (key === undefined) throw spaceError("VAULT_CORRUPT", `the key of space ${quoted(space.name)} is missing from the vault`, "restore the vault from a backup (airlock restore)");
  return Vault.openSpace(spaceDir(first, space.id), key, first.store, options);
}

/**
 * Makes a further space: its key and index entry in the first store (one transaction), then its
 * store with fresh device keys. A store that cannot be made takes its index entry back out.
 */
export function createSpace(first: Vault, name: string, options: VaultOpenOptions = {}): { space: SpaceRef; vault: Vault } {
  checkName(name, "space name");
  const index = readIndex(first);
  if (same(name, FIRST_ALIAS) || allSpaces(first).some((s) => same(s.name, name))) throw spaceError("SPACE_EXISTS", `there is already a space named ${quoted(name)}`, `choose another name (airlock spaces list; "${FIRST_ALIAS}" always names the first space)`);
  if (index.length >= MAX_SPACES - 1) throw spaceError("SPACE_LIMIT", `a vault holds at most ${MAX_SPACES} spaces`, "leave one you no longer need (airlock spaces leave NAME)");
  if (first.store.space) throw new RangeError("spaces are made from the first space's vault");
  const id = randomBytes(ID_BYTES).toString("hex");
  const key = new Uint8Array(randomBytes(32));
  const entry: SpaceEntry = { id, name, created: first.now() };
  first.tx(() => {
    first.store.setSecret(spaceKeyName(id), key);
    writeIndex(first, [...index, entry]);
  });
  try {
    return { space: { id, name }, vault: Vault.createSpace(spaceDir(first, id), key, first.store, options) };
  } catch (e) {
    forget(first, id, name);
    throw e;
  }
}

/** Marks a space left: the next export writes its bundles (the revocation among them), then deletes it. */
export function markLeaving(first: Vault, space: SpaceRef): void {
  first.tx(() => writeIndex(first, readIndex(first).map((e) => (e.id === space.id ? { ...e, leaving: true as const } : e))));
}

/** Whether a space was left and waits for its last export. */
export function isLeaving(first: Vault, space: SpaceRef): boolean {
  return readIndex(first).some((e) => e.id === space.id && e.leaving === true);
}

/** Renames a further space in the index (after a welcome names its team). */
export function renameSpace(first: Vault, id: string, name: string): void {
  first.tx(() => writeIndex(first, readIndex(first).map((e) => (e.id === id ? { ...e, name } : e))));
}

/**
 * Deletes a space's key, index entry and folder. Held first (VaultStore.holdSpaceForDeletion):
 * should another airlock have the space open, it would go on writing into deleted files and its
 * work would vanish without a word (review F7), so that is refused with VAULT_BUSY, unchanged.
 */
function forget(first: Vault, id: string, name: string): void {
  const dir = spaceDir(first, id);
  const key = first.store.getSecret(spaceKeyName(id));
  let release: (() => void) | undefined;
  try {
    release = key === undefined ? undefined : VaultStore.holdSpaceForDeletion(dir, key, quoted(name));
  } finally {
    key?.fill(0);
  }
  try {
    first.tx(() => {
      writeIndex(first, readIndex(first).filter((e) => e.id !== id));
      first.store.deleteSecret(spaceKeyName(id));
      if (first.storage.meta.get(META_CURRENT) === id) first.storage.meta.delete(META_CURRENT);
    });
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  } finally {
    release?.();
  }
}

/**
 * Deletes a further space from this vault: its key and index entry first (so a crash leaves at
 * worst an unreadable folder, never a listed space without its data), then its folder.
 */
export function deleteSpace(first: Vault, space: SpaceRef): void {
  if (space.id === "") throw spaceError("VAULT_NOT_ALLOWED", "the first space cannot be left", "it holds the other spaces' keys; to leave its team, have an admin remove you");
  forget(first, space.id, space.name);
}
