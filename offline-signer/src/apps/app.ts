/**
 * What an app is: a record type the vault stores in collections of that type, with its schema
 * (fields, each with a value kind, a merge rule and limits), how its records read, what search
 * indexes, and how intents become ops. How to write one: docs/apps.md.
 *
 * The schema is checked twice with the same code: before this device writes, and on import at
 * the changeset's causal position, where a batch that breaks it is rejected on every vault alike.
 */
import type { Value } from "../records/values.js";
import type { TeamState } from "../team/state.js";

/** What a field holds. `text` is one line (titles, names); `longtext` may hold newlines. */
export type ValueKind = "text" | "longtext" | "int" | "bool" | "bytes";

/**
 * How concurrent writes merge (docs/records-merge.md):
 * - `lww`: one value; the write with the newest HLC wins.
 * - `set`: add-wins set: concurrent additions all survive; a removal takes away only the
 *   additions its author had seen.
 * - `list`: append-only list in HLC order (comments, history).
 */
export type MergeRule = "lww" | "set" | "list";

export interface FieldSpec {
  readonly name: string;
  readonly kind: ValueKind;
  readonly merge: MergeRule;
  /** Longest value: UTF-16 code units for text, bytes for bytes. */
  readonly maxLength: number;
  /** Most items a set or list may hold after a batch (sets) or items one batch may add (lists). */
  readonly maxItems?: number;
  /** Never indexed for search nor shown unless asked (passwords, TOTP secrets). */
  readonly secret?: boolean;
}

export interface AppSchema {
  /** The app's name, as collections name their type (`collections add NAME --type APP`). */
  readonly app: string;
  /** The newest schema version this release writes; batches up to it are read. */
  readonly version: number;
  /** The fields of each version it reads: a batch is checked against the version it names. */
  readonly versions: Readonly<Record<number, readonly FieldSpec[]>>;
}

/** A record as every vault folds it from the accepted ops (apps/fold.ts). */
export interface RecordView {
  readonly collection: string;
  readonly id: string;
  readonly fields: Readonly<Record<string, Value>>;
  /** Append-only lists, items in HLC order. */
  readonly lists: Readonly<Record<string, readonly Value[]>>;
  /** Add-wins sets, items in canonical value order. */
  readonly sets: Readonly<Record<string, readonly Value[]>>;
  /** HLC wall time (ms) of the newest visible write. */
  readonly updated: number;
  /** Device ids (hex) that wrote what is visible. */
  readonly authors: readonly string[];
}

/**
 * A change an app asks for, before it is stamped: `remove` names the value to take out of a set
 * (the vault turns it into a removal of the additions this device has seen).
 */
export type Intent =
  | { readonly kind: "set"; readonly record: string; readonly field: string; readonly value: Value }
  | { readonly kind: "append"; readonly record: string; readonly field: string; readonly value: Value }
  | { readonly kind: "add"; readonly record: string; readonly field: string; readonly value: Value }
  | { readonly kind: "remove"; readonly record: string; readonly field: string; readonly value: Value }
  | { readonly kind: "delete"; readonly record: string };

/** What search indexes of a record: never a secret field. */
export interface SearchText {
  readonly title: string;
  readonly body: string;
}

/**
 * What a search entry may read beyond its own record: other records of its collection and the
 * team, as the store holds them once the flush that changed them has written every state.
 */
export interface SearchContext {
  record(id: string): RecordView | undefined;
  /**
   * The visible records whose `field` is `value` now (a document's proposals), found through the
   * ops that ever set `field` rather than by reading the collection: one document's entry reads
   * only its own. When a flush writes many entries, the records that have `field` are read once
   * and grouped by value for all of them.
   */
  referring(field: string, value: string): readonly RecordView[];
  readonly state: TeamState;
}

/** Where a batch is being checked: the team as its author saw it, who wrote it, and the schema version it names. */
export interface CheckContext {
  readonly state: TeamState;
  readonly author: string;
  /** Rules may only change with the version: every vault must judge one batch alike, forever. */
  readonly version: number;
  /**
   * A compaction snapshot: it restates ops other members wrote earlier (each keeps its original
   * author's device in its HLC), already checked when they were written. Rules about who wrote
   * what (an author's own name, a role held then) do not apply to it; rules about values do.
   * What a snapshot says is checked against history by existing readers (decisions #30).
   */
  readonly snapshot?: boolean;
}

export interface AppModule {
  readonly schema: AppSchema;
  /** What people call it: "Notes", "Passwords", "Contacts". */
  readonly label: string;
  /** One record: "note", "secret", "contact". */
  readonly noun: string;
  /**
   * The text search indexes. The index always passes `context`; callers that want only a title
   * (import summaries) leave it out, and an app whose body needs it then returns an empty body.
   */
  searchText(view: RecordView, context?: SearchContext): SearchText;
  /**
   * For an app whose search text reads other records of its collection (a document's accepted
   * text depends on its proposals and on the review settings): the records whose entries must be
   * computed again when `record` changed from `before` to `after` (undefined: not visible), or
   * "collection" for all of them. With this hook the app's entries are written after every state
   * of the flush, so `searchText` sees the collection as the flush leaves it, on every vault alike.
   */
  searchDependents?(record: string, before: RecordView | undefined, after: RecordView | undefined): readonly string[] | "collection";
  /**
   * With searchDependents: whether `record`'s entry reads other records at all. Those that do not
   * (a docs proposal, found by its own message) are not written again when a change moves
   * "collection". Default: every record's entry is.
   */
  searchReadsOthers?(record: string): boolean;
  /** A one-line summary for lists and search results (escaped by the caller). */
  summary(view: RecordView): string;
  /**
   * Checks beyond the schema that depend on the team at the batch's causal position (an
   * assignee must be a member then); returns why the batch is refused, or undefined. Like the
   * schema it is replicated logic: a function of the batch, the version and the team state only,
   * with no locale, Unicode-table or clock dependence.
   */
  check?(intents: readonly Intent[], context: CheckContext): string | undefined;
  /**
   * What else to write when a file is attached to or taken off one of its records, beside the
   * `files` op (docs/attachments.md): tickets add a history entry, which their check requires.
   */
  fileChange?(record: string, change: FileChange): Intent[];
}

export interface FileChange {
  readonly action: "attached" | "removed";
  readonly name: string;
  /** The writing member's user id, and when. */
  readonly user: string;
  readonly at: number;
}
