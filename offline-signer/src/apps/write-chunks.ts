/**
 * Large imports as several changesets in one transaction: each well inside what every vault
 * accepts (65,536 ops, 8 MiB), all of them or none.
 */
import type { Vault } from "../vault/vault.js";
import type { Intent } from "./app.js";

const MAX_OPS = 16_384;
const MAX_BYTES = 2 * 1024 * 1024;

const sizeOf = (i: Intent): number => 64 + (i.kind === "delete" ? 0 : i.field.length + (typeof i.value === "string" ? i.value.length * 3 : i.value instanceof Uint8Array ? i.value.length : 9));

/** Writes each item's intents, several items per changeset, never splitting one item. */
export function writeItems(vault: Vault, collection: string, items: readonly (readonly Intent[])[]): number {
  let changesets = 0;
  vault.tx(() => {
    let batch: Intent[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      vault.write(collection, batch);
      changesets++;
      batch = [];
      bytes = 0;
    };
    for (const item of items) {
      const size = item.reduce((n, i) => n + sizeOf(i), 0);
      if (batch.length > 0 && (batch.length + item.length > MAX_OPS || bytes + size > MAX_BYTES)) flush();
      batch.push(...item);
      bytes += size;
    }
    flush();
  });
  return changesets;
}
