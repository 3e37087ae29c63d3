/**
 * Per-collection limits on attached files, set on each laptop (its disk, its choice): the largest
 * file and the total this vault keeps for a collection. What every vault must agree on (the
 * largest size a reference may name) is in apps/attachments/ref.ts; these only decide what this
 * vault stores, so a record is always kept even when its file is not (docs/attachments.md).
 */
import { vaultError } from "../vault/errors.js";
import type { VaultContext } from "../vault/context.js";

export interface FileQuota {
  /** Largest single file, bytes. */
  readonly maxFile: number;
  /** Most bytes of files this vault keeps for the collection. */
  readonly total: number;
}

export const DEFAULT_QUOTA: FileQuota = { maxFile: 4 * 2 ** 30, total: 16 * 2 ** 30 };
/** Files no record here names yet (they came before their record): kept up to this much. */
export const UNCLAIMED_BYTES = 512 * 2 ** 20;

const key = (collection: string): string => `files.quota.${collection}`;

export function quotaOf(vault: VaultContext, collection: string): FileQuota {
  const raw = vault.storage.meta.get(key(collection));
  if (raw === undefined) return DEFAULT_QUOTA;
  const q = JSON.parse(raw) as Partial<FileQuota>;
  return { maxFile: q.maxFile ?? DEFAULT_QUOTA.maxFile, total: q.total ?? DEFAULT_QUOTA.total };
}

export function setQuota(vault: VaultContext, collection: string, change: Partial<FileQuota>): FileQuota {
  if (!vault.requireTeam().collections.has(collection)) throw vaultError("VAULT_NOT_FOUND", `no collection "${collection}"`);
  const next = { ...quotaOf(vault, collection), ...change };
  for (const [name, v] of Object.entries(next)) {
    if (!Number.isSafeInteger(v) || v < 0) throw vaultError("VAULT_BAD_ARGUMENT", `${name} must be a whole number of bytes`);
  }
  if (next.maxFile > next.total) throw vaultError("VAULT_BAD_ARGUMENT", `the largest file (${next.maxFile} bytes) cannot exceed the collection's total (${next.total} bytes)`);
  vault.tx(() => vault.storage.meta.set(key(collection), JSON.stringify(next)));
  return next;
}

/** The largest file any collection of this vault accepts: what a streamed import checks first. */
export function largestAccepted(vault: VaultContext): number {
  let max = 0;
  for (const c of vault.requireTeam().collections.keys()) max = Math.max(max, quotaOf(vault, c).maxFile);
  return max;
}

/** "1.5 GiB", "200 MB": sizes people type. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(text);
  if (m === null) throw vaultError("VAULT_BAD_ARGUMENT", `"${text.slice(0, 40)}" is not a size like 500MB or 2GiB`);
  const unit = (m[2] ?? "").toLowerCase().replace(/b$/, "");
  const powers: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40 };
  const factor = powers[unit];
  if (factor === undefined) throw vaultError("VAULT_BAD_ARGUMENT", `"${text.slice(0, 40)}" has an unknown unit; use B, KB, MB, GB, KiB, MiB or GiB`);
  return Math.floor(Number(m[1]) * factor);
}
