/**
 * The storage module's one entry point: every table of the vault's database behind a typed API
 * (docs/vault-store.md, "Code layout"). The vault, the importer, the judge and the report read
 * and write through it and hold no SQL of their own. Writes belong inside the vault's
 * transaction (Vault.tx): nothing here opens one, except `savepoint` inside it.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { RecordStore } from "./records.js";
import { PeerAcks } from "./acks.js";
import { Changesets } from "./changesets.js";
import { DeviceHeads } from "./device-heads.js";
import { Forks } from "./forks.js";
import { CollectionKeys } from "./keys.js";
import { Meta } from "./meta.js";
import { OpCounts } from "./op-counts.js";
import { Quarantine } from "./quarantine.js";
import { Snapshots } from "./snapshots.js";
import { TeamLog } from "./team-log.js";
import { Blobs } from "./blobs.js";

export class Storage {
  readonly #db: Database.Database;
  readonly meta: Meta;
  readonly teamLog: TeamLog;
  readonly changesets: Changesets;
  readonly heads: DeviceHeads;
  readonly forks: Forks;
  readonly snapshots: Snapshots;
  readonly keys: CollectionKeys;
  readonly acks: PeerAcks;
  readonly quarantine: Quarantine;
  readonly opCounts: OpCounts;
  /** Ops, folded records and the search index. */
  readonly records: RecordStore;
  /** Attached files held, who holds them, who asks for them. */
  readonly blobs: Blobs;

  constructor(db: Database.Database) {
    this.#db = db;
    this.meta = new Meta(db);
    this.teamLog = new TeamLog(db);
    this.changesets = new Changesets(db);
    this.heads = new DeviceHeads(db);
    this.forks = new Forks(db);
    this.snapshots = new Snapshots(db);
    this.keys = new CollectionKeys(db);
    this.acks = new PeerAcks(db);
    this.quarantine = new Quarantine(db);
    this.opCounts = new OpCounts(db);
    this.records = new RecordStore(db);
    this.blobs = new Blobs(db);
  }

  /** Runs `fn` in a savepoint of the enclosing transaction: a throw undoes only its writes. */
  savepoint<T>(fn: () => T): T {
    const mark = this.records.checkpoint();
    try {
      return this.#db.transaction(fn)();
    } catch (e) {
      this.records.rollback(mark); // its ops rolled back: refold what it touched
      throw e;
    }
  }
}
