/** What the CLI, the TUI and the tests do with documents on a vault: each write checked here first, then again by every vault. */
import { AirlockError } from "@airlock/shared";
import { atLeast, roleRank } from "../../team/entry.js";
import type { Vault } from "../../vault/vault.js";
import type { Intent, RecordView } from "../app.js";
import { draftEdit } from "./draft.js";
import { docState, previewAccept, proposalOf, type DocState, type ProposalStatus } from "./review.js";
import { draftId, encodeOpened, encodeReview, kindOf, kindOfId, newDocId, newProposalId, proposalDigest, settingsOf, updatesOf, type ReviewerRole, type Settings, type Verdict } from "./record.js";
import { MAX_DOC_CHARS, SETTINGS_ID } from "./schema.js";
import { draftDoc, draftText } from "./yjs-update.js";
import type { Conflict, MergeTooLarge } from "./text-diff.js";

export const DOCS_HINTS = {
  DOCS_NOT_FOUND: "list the documents with: airlock docs list",
  DOCS_TOO_LARGE: `a document is at most ${MAX_DOC_CHARS} characters: split it into several documents`,
  DOCS_NOT_REVIEWER: "ask a reviewer; an admin sets who reviews with: airlock docs settings --reviewer ROLE",
  DOCS_NOT_PENDING: "see the proposal's state with: airlock docs proposals DOC",
  DOCS_CONFLICT: "the accepted text moved since the proposal's base and the changes overlap: propose again on the newest version (airlock docs show DOC > file, edit, airlock docs propose DOC --file file)",
  DOCS_NOT_ADMIN: "ask an admin",
  DOCS_NO_VERSION: "see the versions with: airlock docs history DOC",
  DOCS_NO_CHANGE: "edit the text first (airlock docs show DOC > file, edit the file, airlock docs propose DOC --file file)",
} as const;
export type DocsErrorCode = keyof typeof DOCS_HINTS;

export function docsError(code: DocsErrorCode, message: string): AirlockError {
  return new AirlockError(code, message, { hint: DOCS_HINTS[code] });
}

/** An approval refused because the merge would conflict: carries the regions, for the command to show. */
export class DocsConflictError extends AirlockError {
  constructor(
    message: string,
    readonly conflicts: readonly Conflict[],
    /** Set when the merge was beyond the budget (text-diff.ts) and not tried: no regions then. */
    readonly tooLarge?: MergeTooLarge,
  ) {
    super("DOCS_CONFLICT", message, { hint: DOCS_HINTS.DOCS_CONFLICT });
  }
}

export function checkDocText(text: string, what: string): string {
  if (text.length > MAX_DOC_CHARS) throw docsError("DOCS_TOO_LARGE", `${what} has ${text.length} characters`);
  return text;
}

function me(vault: Vault): { id: string; role: string } {
  const { user } = vault.me();
  return { id: user.id, role: user.role };
}

export function settings(vault: Vault, collection: string): Settings {
  return settingsOf(vault.record(collection, SETTINGS_ID));
}

export function docRecords(vault: Vault, collection: string): RecordView[] {
  return vault.records(collection).filter((r) => kindOf(r) === "doc");
}

function byPrefix(views: readonly RecordView[], ref: string, noun: string): RecordView {
  const exact = views.find((v) => v.id === ref);
  if (exact !== undefined) return exact;
  const hits = ref === "" ? [] : views.filter((v) => v.id.startsWith(ref));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new AirlockError("VAULT_AMBIGUOUS", `"${ref}" matches several ${noun}s`, { hint: "give more of the id" });
  throw docsError("DOCS_NOT_FOUND", `no ${noun} "${ref}"`);
}

export function findDoc(vault: Vault, collection: string, ref: string): RecordView {
  const whole = kindOfId(ref) === "doc" ? vault.record(collection, ref) : undefined;
  return whole ?? byPrefix(docRecords(vault, collection), ref, "document");
}

/** Everything about one document, as every vault with the same changesets computes it. */
export function loadDoc(vault: Vault, collection: string, ref: string): DocState {
  const doc = findDoc(vault, collection, ref);
  // Its own proposals only, by their doc field: not a read of the whole collection.
  const proposals = vault.recordStore.referring(collection, "doc", doc.id).filter((r) => kindOf(r) === "proposal");
  return docState(doc, proposals, settings(vault, collection), vault.state());
}

export function findProposal(vault: Vault, collection: string, ref: string): { doc: DocState; status: ProposalStatus } {
  // A whole id is read alone; only a prefix lists the collection's proposals.
  const whole = kindOfId(ref) === "proposal" ? vault.record(collection, ref) : undefined;
  const view =
    whole ??
    byPrefix(
      vault.records(collection).filter((r) => kindOf(r) === "proposal"),
      ref,
      "proposal",
    );
  const p = proposalOf(view, vault.state());
  if (p === undefined) throw docsError("DOCS_NOT_FOUND", `proposal ${view.id} is not signed by the author it names, and is ignored`);
  const doc = loadDoc(vault, collection, p.doc);
  const status = doc.proposals.find((s) => s.proposal.id === p.id);
  if (status === undefined) throw docsError("DOCS_NOT_FOUND", `proposal ${view.id} names no document here`);
  return { doc, status };
}

/** A new document: its first version, and the draft seeded with the same text by its creator. */
export function createDoc(vault: Vault, collection: string, title: string, text: string): { id: string; changeset: string } {
  checkDocText(text, "the document");
  const user = me(vault).id;
  const id = newDocId(user);
  const seed = draftEdit([], vault.deviceId, text);
  const intents: Intent[] = [
    { kind: "set", record: id, field: "title", value: title },
    { kind: "set", record: id, field: "initial", value: text },
    { kind: "set", record: id, field: "creator", value: user },
    ...(seed === undefined ? [] : [{ kind: "append", record: draftId(id), field: "updates", value: seed } as const]),
  ];
  return { id, changeset: vault.write(collection, intents).changeset };
}

/** A proposal of `text` on the newest accepted version (or on `base`, a version id). */
export function propose(vault: Vault, collection: string, docRef: string, text: string, message: string): { id: string; base: string; changeset: string } {
  checkDocText(text, "the proposal");
  const doc = loadDoc(vault, collection, docRef);
  const newest = doc.versions[doc.versions.length - 1]!;
  // A proposal of the accepted text itself would only ask reviewers to approve an empty diff.
  if (text === newest.text) throw docsError("DOCS_NO_CHANGE", `the proposal is the text of version ${newest.n} of ${doc.id} as it is`);
  const base = newest.id;
  const by = me(vault).id;
  const id = newProposalId(by);
  const intents: Intent[] = [
    { kind: "set", record: id, field: "doc", value: doc.id },
    { kind: "set", record: id, field: "base", value: base },
    { kind: "set", record: id, field: "text", value: text },
    ...(message === "" ? [] : [{ kind: "set", record: id, field: "message", value: message } as const]),
    { kind: "set", record: id, field: "by", value: by },
    // Last, so its HLC is after the proposal's: reviews count from here on (review.ts).
    { kind: "append", record: doc.id, field: "reviews", value: encodeOpened({ proposal: id, digest: proposalDigest({ doc: doc.id, base, text, by }) }) },
  ];
  return { id, base, changeset: vault.write(collection, intents).changeset };
}

/**
 * Approves or rejects a pending proposal, as the reviewer role the settings ask for. An approval
 * whose merge onto the newest version would conflict is refused here with the conflicts (it
 * could never be accepted); another vault's concurrent acceptance may still make it conflict,
 * and then every vault shows it conflicted.
 */
export function review(vault: Vault, collection: string, proposalRef: string, verdict: Verdict): { proposal: string; doc: string; state: string; version?: number; changeset: string } {
  const { doc, status } = findProposal(vault, collection, proposalRef);
  const s = settings(vault, collection);
  const mine = me(vault);
  const p = status.proposal;
  if (!atLeast(mine.role as ReviewerRole, s.reviewer)) throw docsError("DOCS_NOT_REVIEWER", `reviews here are by ${s.reviewer}s and up; you are ${mine.role === "editor" || mine.role === "admin" || mine.role === "owner" ? "an" : "a"} ${mine.role}`);
  if (p.by === mine.id) throw docsError("DOCS_NOT_REVIEWER", "you wrote this proposal: someone else reviews it");
  if (status.state !== "pending") throw docsError("DOCS_NOT_PENDING", `proposal ${p.id} is ${status.state}`);
  if (verdict === "approve") {
    const preview = previewAccept(doc, p);
    if (preview.kind === "conflict" && preview.tooLarge !== undefined) throw new DocsConflictError(`proposal ${p.id} is too large to merge onto version ${doc.versions.length} (${preview.tooLarge.lines} lines): it would be conflicted`, [], preview.tooLarge);
    if (preview.kind === "conflict") throw new DocsConflictError(`proposal ${p.id} conflicts with version ${doc.versions.length} in ${preview.conflicts.length} place${preview.conflicts.length === 1 ? "" : "s"}`, preview.conflicts);
  }
  // The role reviewed as: the settings' reviewer role, which the check holds to this user's role at the causal position.
  const role: ReviewerRole = roleRank(s.reviewer) <= roleRank(mine.role as ReviewerRole) ? s.reviewer : (mine.role as ReviewerRole);
  const value = encodeReview({ verdict, proposal: p.id, digest: p.digest, user: mine.id, role });
  const { changeset } = vault.write(collection, [{ kind: "append", record: doc.id, field: "reviews", value }]);
  const after = loadDoc(vault, collection, doc.id).proposals.find((x) => x.proposal.id === p.id)!;
  return { proposal: p.id, doc: doc.id, state: after.state, ...(after.version === undefined ? {} : { version: after.version }), changeset };
}

export function draftOf(vault: Vault, collection: string, docId: string): string {
  const doc = draftDoc(updatesOf(vault.record(collection, draftId(docId))));
  try {
    return draftText(doc);
  } finally {
    doc.destroy();
  }
}

/** Makes the draft say `text`: one Yjs update of the changed lines, or nothing when it already does. */
export function editDraft(vault: Vault, collection: string, docRef: string, text: string): { doc: string; bytes: number; changeset?: string } {
  checkDocText(text, "the draft");
  const doc = findDoc(vault, collection, docRef);
  const update = draftEdit(updatesOf(vault.record(collection, draftId(doc.id))), vault.deviceId, text);
  if (update === undefined) return { doc: doc.id, bytes: 0 };
  const { changeset } = vault.write(collection, [{ kind: "append", record: draftId(doc.id), field: "updates", value: update }]);
  return { doc: doc.id, bytes: update.length, changeset };
}

export function setSettings(vault: Vault, collection: string, next: Partial<Settings>): Settings {
  if (!atLeast(me(vault).role as ReviewerRole, "admin")) throw docsError("DOCS_NOT_ADMIN", "only admins change who reviews and how many approvals a change needs");
  const intents: Intent[] = [];
  if (next.approvals !== undefined) intents.push({ kind: "set", record: SETTINGS_ID, field: "approvals", value: next.approvals });
  if (next.reviewer !== undefined) intents.push({ kind: "set", record: SETTINGS_ID, field: "reviewer", value: next.reviewer });
  if (intents.length > 0) vault.write(collection, intents);
  return settings(vault, collection);
}

/** A user's name for display (the id when the team no longer knows it). */
export function userName(vault: Vault, id: string): string {
  return vault.state().users.get(id)?.name ?? id.slice(0, 12);
}
