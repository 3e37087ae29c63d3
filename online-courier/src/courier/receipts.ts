/**
 * The vault's delivery receipts, on the courier (docs/receipts.md): `ingest` hands every scanned
 * message that starts like a receipt here, and reads the receipts folder of each stick it
 * ingests. A receipt opens under the receipt key of exactly one served team (or is refused with
 * its RECEIPT_* code, and nothing changes); the inbound bundles of that team it names become
 * delivered, in one transaction. Receipts only ever say "the vault had these", which stays true,
 * so a replayed one finds them delivered already and changes nothing.
 */
import { isAirlockError, openReceipt, readReceiptFiles, ReceiptKey, removeReceiptFile, safe, plural } from "@airlock/shared";
import type { TeamId } from "../home/teams.js";
import type { Courier } from "./courier.js";

export interface ReceiptOutcome {
  readonly from: string;
  readonly team: TeamId;
  readonly teamName: string;
  /** When the vault made it, by the vault's clock (ISO 8601). */
  readonly madeAt: string;
  readonly listed: number;
  /** Digests of the inbound bundles this receipt marked delivered. */
  readonly confirmed: string[];
  /** Named, and delivered already (a replay, or marked by an earlier receipt). */
  readonly already: number;
  /** Ids naming no inbound bundle of the team here (another courier's, or expired). */
  readonly unknown: number;
  readonly ambiguous: number;
}

export interface ReceiptRefusal {
  readonly from: string;
  readonly code: string;
  readonly reason: string;
}

/** One run's receipts: the served teams' receipt keys, derived once and wiped by `close`. */
export class ReceiptReader {
  readonly outcomes: ReceiptOutcome[] = [];
  readonly refused: ReceiptRefusal[] = [];
  readonly #courier: Courier;
  #keys: { team: TeamId; key: ReceiptKey }[] | undefined;

  constructor(courier: Courier) {
    this.#courier = courier;
  }

  /** Opens one receipt and marks what it names; a bad receipt is recorded as refused. True when it was applied. */
  take(bytes: Uint8Array, from: string): boolean {
    // As with tags, an earlier generation's key counts while it drains: a vault that has not yet
    // imported the rotation still makes its receipts with it.
    const now = Date.now();
    this.#keys ??= this.#courier.teams.flatMap((t) => [t.tk, ...t.retired.filter((r) => r.drainUntil > now).map((r) => r.tk)].map((tk) => ({ team: t.id, key: ReceiptKey.of(tk) })));
    let opened;
    try {
      opened = openReceipt(bytes, this.#keys);
    } catch (e) {
      if (!isAirlockError(e)) throw e;
      this.refused.push({ from, code: e.code, reason: e.message });
      return false;
    }
    const match = this.#courier.spool.confirmReceipt(opened.team, opened.ids);
    this.outcomes.push({
      from,
      team: opened.team,
      teamName: this.#courier.teams.find((t) => t.id === opened.team)!.config.name,
      madeAt: new Date(opened.timeMs).toISOString(),
      listed: opened.ids.length,
      confirmed: match.confirmed,
      already: match.already.length,
      unknown: match.unknown.length,
      ambiguous: match.ambiguous.length,
    });
    return true;
  }

  /**
   * Reads `<path>/airlock/receipts/` of each path that has one (a stick the vault imported). A
   * receipt that was applied is removed, like an ingested bundle, unless `keep`; a refused one stays.
   */
  async fromSticks(paths: readonly string[], options: { keep?: boolean } = {}): Promise<void> {
    for (const path of paths) {
      for await (const event of readReceiptFiles(path)) {
        if (event.type === "issue") {
          this.refused.push({ from: event.from, code: event.code, reason: event.reason });
          continue;
        }
        if (this.take(event.file.bytes, event.file.path) && options.keep !== true) {
          try {
            await removeReceiptFile(event.file);
          } catch (e) {
            if (!isAirlockError(e)) throw e;
            this.refused.push({ from: event.file.path, code: e.code, reason: `applied, but not removed: ${e.message}` });
          }
        }
      }
    }
  }

  lines(): string[] {
    return this.outcomes.map((o) => {
      const parts = [`${plural(o.confirmed.length, "bundle")} now delivered`];
      if (o.already > 0) parts.push(`${o.already} delivered before`);
      if (o.unknown > 0) parts.push(`${o.unknown} not in this spool`);
      if (o.ambiguous > 0) parts.push(`${o.ambiguous} ambiguous, left as they were`);
      return safe`receipt from the vault of ${o.teamName} (made ${o.madeAt}, ${plural(o.listed, "bundle")}): ${parts.join(", ")}`;
    });
  }

  close(): void {
    for (const k of this.#keys ?? []) k.key.wipe();
    this.#keys = undefined;
  }
}
