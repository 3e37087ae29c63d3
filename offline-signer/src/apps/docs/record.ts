/** Docs records read and written: ids, the review log's item codec, the proposal digest approvals name. */
import { createHash } from "node:crypto";
import type { RecordView } from "../app.js";
import { newRecordId } from "../ids.js";
import { MAX_APPROVALS, REVIEWER_ROLES, SETTINGS_ID } from "./schema.js";

export const DRAFT_SUFFIX = ".draft";
export const PROPOSAL_SUFFIX = ".proposal";
export const draftId = (doc: string): string => doc + DRAFT_SUFFIX;

// Document `<16 hex>.<user id>`, proposal `<16 hex>.<user id>.proposal`: the author is part of the
// id, so the replicated check can hold every write of a document's first version or of a proposal
// to its author's devices, and the kind of a record never depends on what was written to it.
// The random part comes first so a prefix of the id still picks one record.
const DOC_ID = /^[0-9a-f]{16}\.([0-9a-f]{2,128})$/;
const PROPOSAL_ID = /^[0-9a-f]{16}\.([0-9a-f]{2,128})\.proposal$/;

export const newDocId = (user: string): string => `${newRecordId()}.${user}`;
export const newProposalId = (user: string): string => `${newRecordId()}.${user}${PROPOSAL_SUFFIX}`;
/** The user who created a document id, or undefined when `id` is not one. */
export const docAuthor = (id: string): string | undefined => DOC_ID.exec(id)?.[1];
/** The user who wrote a proposal id, or undefined when `id` is not one. */
export const proposalAuthor = (id: string): string | undefined => PROPOSAL_ID.exec(id)?.[1];
/** The document a draft id belongs to, or undefined when `id` is not a draft's. */
export const draftDocOf = (id: string): string | undefined => {
  if (!id.endsWith(DRAFT_SUFFIX)) return undefined;
  const doc = id.slice(0, -DRAFT_SUFFIX.length);
  return docAuthor(doc) === undefined ? undefined : doc;
};
export type ReviewerRole = (typeof REVIEWER_ROLES)[number];
export type Verdict = "approve" | "reject";

export interface Settings {
  readonly approvals: number;
  readonly reviewer: ReviewerRole;
}
export const DEFAULT_SETTINGS: Settings = { approvals: 1, reviewer: "editor" };

export function settingsOf(view: RecordView | undefined): Settings {
  const a = view?.fields["approvals"];
  const r = view?.fields["reviewer"];
  return {
    approvals: typeof a === "number" && a >= 1 && a <= MAX_APPROVALS ? a : DEFAULT_SETTINGS.approvals,
    reviewer: typeof r === "string" && (REVIEWER_ROLES as readonly string[]).includes(r) ? (r as ReviewerRole) : DEFAULT_SETTINGS.reviewer,
  };
}

export interface Review {
  readonly verdict: Verdict;
  readonly proposal: string;
  /** proposalDigest of what the reviewer read: a proposal rewritten later loses the review. */
  readonly digest: string;
  readonly user: string;
  /** The role the reviewer reviews as; the check holds it to the author's role at the causal position. */
  readonly role: ReviewerRole;
}

const SEP = "\u001f";

export function encodeReview(r: Review): string {
  return [r.verdict, r.proposal, r.digest, r.user, r.role].join(SEP);
}

/**
 * The other item of the review log: written by a proposal's author in the batch that writes the
 * proposal, it marks where in the log (HLC order) the proposal was last written. Only reviews
 * after it count, so a review stamped with an older time than the proposal counts for nothing.
 */
export interface Opened {
  readonly proposal: string;
  readonly digest: string;
}

const OPENED = "proposed";

export function encodeOpened(o: Opened): string {
  return [OPENED, o.proposal, o.digest].join(SEP);
}

export function decodeOpened(v: unknown): Opened | undefined {
  if (typeof v !== "string") return undefined;
  const parts = v.split(SEP);
  if (parts.length !== 3 || parts[0] !== OPENED) return undefined;
  const [, proposal, digest] = parts as [string, string, string];
  if (proposalAuthor(proposal) === undefined || digest === "") return undefined;
  return { proposal, digest };
}

export function decodeReview(v: unknown): Review | undefined {
  if (typeof v !== "string") return undefined;
  const parts = v.split(SEP);
  if (parts.length !== 5) return undefined;
  const [verdict, proposal, digest, user, role] = parts as [string, string, string, string, string];
  if (verdict !== "approve" && verdict !== "reject") return undefined;
  if (!(REVIEWER_ROLES as readonly string[]).includes(role)) return undefined;
  if (proposalAuthor(proposal) === undefined || digest === "" || user === "") return undefined;
  return { verdict, proposal, digest, user, role: role as ReviewerRole };
}

/** What an approval binds: the proposal's document, base, text and author. */
export function proposalDigest(p: { readonly doc: string; readonly base: string; readonly text: string; readonly by: string }): string {
  const h = createHash("sha256");
  // Each part's length first: no two different proposals hash the same parts.
  for (const part of [p.doc, p.base, p.by, p.text]) h.update(`${part.length}:`).update(part);
  return h.digest("hex").slice(0, 32);
}

export type DocsRecordKind = "doc" | "proposal" | "draft" | "settings" | "other";

/** A record's kind, by its id alone (what was written to it cannot change what it is). */
export function kindOfId(id: string): DocsRecordKind {
  if (id === SETTINGS_ID) return "settings";
  if (draftDocOf(id) !== undefined) return "draft";
  if (docAuthor(id) !== undefined) return "doc";
  if (proposalAuthor(id) !== undefined) return "proposal";
  return "other";
}

export const kindOf = (view: RecordView): DocsRecordKind => kindOfId(view.id);

export const updatesOf = (view: RecordView | undefined): Uint8Array[] => (view?.lists["updates"] ?? []).filter((u): u is Uint8Array => u instanceof Uint8Array);
