/** What an import did, counted as it goes: the CLI, the TUI and the tests read the same report. */
import type { CollectionChanges } from "./record-changes.js";

export interface ImportIssue {
  readonly source: string;
  readonly code: string;
  readonly reason: string;
}

export interface ImportReport {
  bundles: number;
  notForMe: number;
  welcomed: string | undefined;
  entriesAdded: number;
  entriesRejected: number;
  changesetsNew: number;
  duplicates: number;
  quarantined: number;
  applied: number;
  locked: number;
  rejected: number;
  waiting: number;
  readonly issues: ImportIssue[];
  /** Attached files received (docs/attachments.md): new, already held, their new bytes and content addresses (hex). */
  readonly files: { received: number; duplicates: number; bytes: number; hashes: string[] };
  /** Milliseconds spent per phase, for the import benchmark and `--json` readers. */
  readonly timings: ImportTimings;
  /**
   * The records the import created, changed or deleted, per collection, with titles and who
   * changed them (record-changes.ts; `recordChangeLines` prints them). Set by `importFrom`.
   */
  records?: CollectionChanges[];
  /** Newest op timestamp applied and not yet merged into the local clock. */
  newest?: { wall: number; counter: number; device: string } | undefined;
}

export interface ImportTimings {
  /** The whole of applying sync payloads, transactions and commits included. */
  apply: number;
  open: number;
  decode: number;
  verify: number;
  authorize: number;
  decrypt: number;
  write: number;
}

export function emptyReport(): ImportReport {
  return {
    bundles: 0,
    notForMe: 0,
    welcomed: undefined,
    entriesAdded: 0,
    entriesRejected: 0,
    changesetsNew: 0,
    duplicates: 0,
    quarantined: 0,
    applied: 0,
    locked: 0,
    rejected: 0,
    waiting: 0,
    issues: [],
    files: { received: 0, duplicates: 0, bytes: 0, hashes: [] },
    timings: { apply: 0, open: 0, decode: 0, verify: 0, authorize: 0, decrypt: 0, write: 0 },
  };
}

/**
 * Whether an import refused any of its input: a bundle that could not be read, opened or
 * applied, a changeset or entry quarantined, a file not kept. `airlock import` then exits 3
 * (shared/src/exit-codes.ts). Changesets judged and rejected by the team's rules are stored and
 * forwarded like any other (docs/sync.md), so they are counted, not refused.
 */
export function importRefused(report: ImportReport): boolean {
  return report.issues.length > 0 || report.quarantined > 0;
}
