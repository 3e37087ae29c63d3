/**
 * A collection's list read a page at a time (vault.recordsPage): what a screen shows of a
 * collection of 100,000 records costs a screenful of reads, not 100,000 decoded records per
 * change. Pages are kept while this source lives (Main makes a new one after every write).
 */
import type { RecordView } from "../apps/app.js";
import type { Vault } from "../vault/vault.js";
import type { ListRow, RowSource } from "./components/RecordList.js";

const PAGE = 128;
/** Pages kept: a few screens either side of the one shown, whatever the collection's size. */
const KEPT = 16;

export interface PagedRecords extends RowSource {
  /** The record `id` (from its page when read already). */
  record(id: string): RecordView | undefined;
}

export function pagedRecords(vault: Vault, collection: string, row: (record: RecordView) => ListRow): PagedRecords {
  const count = vault.recordCount(collection);
  const pages = new Map<number, { records: RecordView[]; rows: ListRow[] }>();
  const page = (n: number): { records: RecordView[]; rows: ListRow[] } => {
    let p = pages.get(n);
    if (p === undefined) {
      const records = vault.recordsPage(collection, n * PAGE, PAGE);
      p = { records, rows: records.map(row) };
      if (pages.size >= KEPT) pages.delete(pages.keys().next().value!);
    } else pages.delete(n);
    // Re-inserted: the Map's order is the order pages were last used in.
    pages.set(n, p);
    return p;
  };
  return {
    count,
    slice(first, n) {
      const out: ListRow[] = [];
      for (let i = Math.max(0, first); i < Math.min(count, first + n); ) {
        const p = page(Math.floor(i / PAGE));
        const from = i % PAGE;
        const take = p.rows.slice(from, from + (Math.min(count, first + n) - i));
        if (take.length === 0) break;
        out.push(...take);
        i += take.length;
      }
      return out;
    },
    indexOf: (id) => vault.recordPosition(collection, id) ?? -1,
    record(id) {
      for (const p of pages.values()) {
        const found = p.records.find((r) => r.id === id);
        if (found !== undefined) return found;
      }
      return vault.record(collection, id);
    },
  };
}
