/**
 * The vault's delivery receipts, on the courier (docs/receipts.md): `ingest` hands every scanned
 * message that starts like a receipt here, and reads the receipts folder of each stick it
 * ingests. A receipt opens under the receipt key of exactly one served team (or is refused with
 * its RECEIPT_* code, and nothing changes); the inbound bundles of that team it names become
 * delivered, in one transaction. Receipts only ever say "the vault had these", which stays true,
 * so a replayed one finds them delivered already and changes nothing.
 */
import { describeError, errnoCode, isAirlockError, openReceipt, readReceiptFiles, ReceiptKey, removeReceiptFile, safe, plural, TRANSPORT_GRACE_MS } from "@airlock/shared";
import type { TeamId } from "../home/teams.js";
import type { Courier } from "./courier.js";

export interface ReceiptOutcome {
  readonly from: string;
  readonly team: TeamId;
  readonly teamName: string;
  /** When the vault made it, by the vault's clock (ISO 8601). */
  readonly madeAt: string;
  readonly listed: number;
  /** The earlier transport key generation (still draining) it was made with; absent for the current one. */
  readonly drainingGeneration?: number;
  /** Digests of the inbound bundles this receipt marked delivered. */
  readonly confirmed: string[];
  /** Named, and delivered already (a replay, or marked by an earlier receipt). */
  readonly already: number;
  /** Ids naming no inbound bundle of the team here (another courier's, or expired). */
  readonly unknown: number;
  readonly ambiguous: number;
  /**
   * Named bundles this courier holds but never handed over (another courier or vault had them),
   * or, for a receipt made with a draining key, that arrived after the rotation: left as they were.
   */
  readonly notHanded: number;
  /** A stick's receipt file: removed (everything it names is delivered here), or left for another courier. */
  readonly file?: "removed" | "kept";
}

export interface ReceiptRefusal {
  readonly from: string;
  readonly code: string;
  readonly reason: string;
}

/** A stick's receipt file no key of this courier opens: another team's, or made with a generation it lacks. Left on the stick. */
export interface ReceiptNotOurs {
  readonly from: string;
  readonly code: string;
}

/** Why a receipt opens under no key here, with what this courier holds (RECEIPT_UNKNOWN_TEAM is ambiguous by design). */
function unknownTeamReason(courier: Courier): string {
  const held = courier.teams.map((t) => `${t.config.name} generation ${t.config.generation ?? 0}`).join(", ");
  return (
    `no transport key this courier holds (${held === "" ? "no teams" : held}) made it: a vault of your team that holds a newer ` +
    "transport key generation than this courier (ingest the enrollment on an admin vault's stick, then this receipt again), " +
    "a receipt of another team, or a forgery; nothing was marked"
  );
}

type RunKey = { team: TeamId; key: ReceiptKey; generation: number; arrivedBefore: number | undefined };

/** One run's receipts: the served teams' receipt keys, derived as needed and wiped by `close`. */
export class ReceiptReader {
  readonly outcomes: ReceiptOutcome[] = [];
  readonly refused: ReceiptRefusal[] = [];
  readonly notOurs: ReceiptNotOurs[] = [];
  readonly #courier: Courier;
  #keys: RunKey[] | undefined;
  /** The teams and generations the keys were derived for: an ingest may adopt a newer generation mid-run. */
  #keyedFor = "";

  constructor(courier: Courier) {
    this.#courier = courier;
  }

  #currentKeys(now: number): RunKey[] {
    const live = this.#courier.teams.map((t) => ({ t, retired: t.retired.filter((r) => r.drainUntil > now) }));
    const keyedFor = live.map(({ t, retired }) => `${t.id}:${t.config.generation ?? 0}:${retired.map((r) => r.generation).join(",")}`).join(";");
    if (this.#keys === undefined || keyedFor !== this.#keyedFor) {
      for (const k of this.#keys ?? []) k.key.wipe();
      // As with tags, an earlier generation's key counts while it drains: a vault that has not yet
      // imported the rotation still makes its receipts with it. Such a receipt marks only what
      // arrived before this courier adopted the newer generation (drainUntil - TRANSPORT_GRACE_MS):
      // whoever was removed still holds the old key and can list the newer bundles' names.
      this.#keys = live.flatMap(({ t, retired }) => [
        { team: t.id, key: ReceiptKey.of(t.tk), generation: t.config.generation ?? 0, arrivedBefore: undefined },
        ...retired.map((r) => ({ team: t.id, key: ReceiptKey.of(r.tk), generation: r.generation, arrivedBefore: r.drainUntil - TRANSPORT_GRACE_MS })),
      ]);
      this.#keyedFor = keyedFor;
    }
    return this.#keys;
  }

  /** Opens one scanned receipt and marks what it names; a bad receipt is recorded as refused. */
  take(bytes: Uint8Array, from: string): void {
    const outcome = this.#apply(bytes, from, false);
    if (outcome !== undefined) this.outcomes.push(outcome);
  }

  /** Opens a receipt and marks what it names; a bad one is recorded as refused (or as not ours, from a stick). */
  #apply(bytes: Uint8Array, from: string, onStick: boolean): ReceiptOutcome | undefined {
    const keys = this.#currentKeys(Date.now());
    let opened;
    try {
      opened = openReceipt(bytes, keys.map((k, i) => ({ team: i, key: k.key })));
    } catch (e) {
      if (!isAirlockError(e)) throw e;
      if (e.code === "RECEIPT_UNKNOWN_TEAM" && onStick) {
        // A stick two teams' vaults share carries receipts for both teams' couriers: not refused, left for theirs.
        this.notOurs.push({ from, code: e.code });
        return undefined;
      }
      this.refused.push({ from, code: e.code, reason: e.code === "RECEIPT_UNKNOWN_TEAM" ? unknownTeamReason(this.#courier) : e.message });
      return undefined;
    }
    const key = keys[opened.team]!;
    const match = this.#courier.spool.confirmReceipt(key.team, opened.ids, key.arrivedBefore === undefined ? {} : { arrivedBefore: key.arrivedBefore });
    return {
      from,
      team: key.team,
      teamName: this.#courier.teams.find((t) => t.id === key.team)!.config.name,
      madeAt: new Date(opened.timeMs).toISOString(),
      listed: opened.ids.length,
      ...(key.arrivedBefore === undefined ? {} : { drainingGeneration: key.generation }),
      confirmed: match.confirmed,
      already: match.already.length,
      unknown: match.unknown.length,
      ambiguous: match.ambiguous.length,
      notHanded: match.notHanded.length,
    };
  }

  /**
   * Reads `<path>/airlock/receipts/` of each path that has one (a stick the vault imported). A
   * receipt file is removed (unless `keep`) only when every bundle it names is delivered here: one
   * that names bundles this courier did not hand over, or does not hold, may be another courier's
   * to apply, and stays (reported, not refused). A folder that cannot be read is refused input.
   */
  async fromSticks(paths: readonly string[], options: { keep?: boolean } = {}): Promise<void> {
    for (const path of paths) {
      try {
        for await (const event of readReceiptFiles(path)) {
          if (event.type === "issue") {
            this.refused.push({ from: event.from, code: event.code, reason: event.reason });
            continue;
          }
          const outcome = this.#apply(event.file.bytes, event.file.path, true);
          if (outcome === undefined) continue;
          const settled = outcome.unknown === 0 && outcome.ambiguous === 0 && outcome.notHanded === 0;
          let file: "removed" | "kept" = "kept";
          if (settled && options.keep !== true) {
            try {
              await removeReceiptFile(event.file);
              file = "removed";
            } catch (e) {
              if (!isAirlockError(e)) throw e;
              this.refused.push({ from: event.file.path, code: e.code, reason: `applied, but not removed: ${e.message}` });
            }
          }
          this.outcomes.push({ ...outcome, file });
        }
      } catch (e) {
        // Bundles of this stick may be spooled and off its outbox already: the run must still report them (exit 3, not 1).
        if (!isAirlockError(e) && errnoCode(e) === undefined) throw e;
        const { code, message } = describeError(e);
        this.refused.push({ from: path, code, reason: `its receipts cannot be read: ${message}` });
      }
    }
  }

  lines(): string[] {
    const out = this.outcomes.map((o) => {
      const parts = [`${plural(o.confirmed.length, "bundle")} now delivered`];
      if (o.already > 0) parts.push(`${o.already} delivered before`);
      if (o.notHanded > 0) parts.push(`${o.notHanded} not handed over by this courier${o.drainingGeneration === undefined ? "" : " before the rotation"}, left as they were`);
      if (o.unknown > 0) parts.push(`${o.unknown} not in this spool`);
      if (o.ambiguous > 0) parts.push(`${o.ambiguous} ambiguous, left as they were`);
      if (o.file === "kept") parts.push("left on the stick for another courier");
      const key = o.drainingGeneration === undefined ? "" : `, with the draining key of generation ${o.drainingGeneration}`;
      return safe`receipt from the vault of ${o.teamName} (made ${o.madeAt}${key}, ${plural(o.listed, "bundle")}): ${parts.join(", ")}`;
    });
    if (this.notOurs.length > 0) {
      out.push(
        `${plural(this.notOurs.length, "receipt")} on the stick opened under no key of this courier, left there: another team's courier reads ${this.notOurs.length === 1 ? "it" : "them"}, ` +
          "or a vault of your team holds a newer transport key generation (ingest the enrollment on an admin vault's stick, then the stick again)",
      );
    }
    return out;
  }

  close(): void {
    for (const k of this.#keys ?? []) k.key.wipe();
    this.#keys = undefined;
  }
}
