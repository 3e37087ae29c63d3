/**
 * The vault's blobs/ folder: each held file as a bundle sealed to this device (so the bytes on
 * disk are as protected as the database, and never plaintext), named at random so names say
 * nothing about contents. The database row (store/blobs.ts) is what makes a file held; a file
 * here without a row is the remains of an interrupted write, removed by `sweep`.
 */
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
/** What the folder needs of a vault: where it lives, and its table of held files. */
export interface HasBlobs {
  readonly store: { readonly dir: string };
  readonly storage: { readonly blobs: { files(): Set<string> } };
}

export const BLOBS_DIR = "blobs";

export function blobsDir(vault: HasBlobs): string {
  const dir = join(vault.store.dir, BLOBS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export const newBlobName = (): string => `${randomBytes(16).toString("hex")}.bundle`;

export function blobPath(vault: HasBlobs, file: string): string {
  return join(blobsDir(vault), file);
}

export function removeBlobFile(vault: HasBlobs, file: string): void {
  rmSync(join(blobsDir(vault), file), { force: true });
}

/**
 * Removes files in blobs/ that no row names and that nothing touched for an hour: the remains of
 * an attach or import that stopped half way. Younger ones may belong to a command running now in
 * another process on the same vault.
 */
export function sweep(vault: HasBlobs, now = Date.now()): number {
  const held = vault.storage.blobs.files();
  const dir = blobsDir(vault);
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (held.has(name)) continue;
    const path = join(dir, name);
    try {
      if (now - lstatSync(path).mtimeMs < SWEEP_AGE_MS) continue;
    } catch {
      continue; // gone meanwhile
    }
    rmSync(path, { force: true, recursive: true });
    removed++;
  }
  return removed;
}

export const SWEEP_AGE_MS = 60 * 60 * 1000;
