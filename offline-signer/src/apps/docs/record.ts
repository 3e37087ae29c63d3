/** Docs records read and written: ids, the review entry codec, the proposal digest approvals name. */
import { createHash } from "node:crypto";
import type { RecordView } from "../app.js";
import { textOf } from "../record-diff.js";
import { MAX_APPROVALS, REVIEWER_ROLES, SETTINGS_ID } from "./schema.js";

export const DRAFT_SUFFIX = ".draft";
export const draftId = (doc: string): string => doc + DRAFT_SUFFIX;
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

export function decodeReview(v: unknown): Review | undefined {
  if (typeof v !== "string") return undefined;
  const parts = v.split(SEP);
  if (parts.length !== 5) return undefined;
  const [verdict, proposal, digest, user, role] = parts as [string, string, string, string, string];
  if (verdict !== "approve" && verdict !== "reject") return undefined;
  if (!(REVIEWER_ROLES as readonly string[]).includes(role)) return undefined;
  if (proposal === "" || digest === "" || user === "") return undefined;
  return { verdict, proposal, digest, user, role: role as ReviewerRole };
}

/** What an approval binds: the proposal's base and text. */
export function proposalDigest(base: string, text: string): string {
  return createHash("sha256").update(base).update("\u0000").update(text).digest("hex").slice(0, 32);
}

export type DocsRecordKind = "doc" | "proposal" | "draft" | "settings" | "other";

export function kindOf(view: RecordView): DocsRecordKind {
  if (view.id === SETTINGS_ID) return "settings";
  if (view.id.endsWith(DRAFT_SUFFIX)) return "draft";
  if (textOf(view.fields["doc"]) !== undefined) return "proposal";
  if (view.fields["initial"] !== undefined || view.fields["title"] !== undefined) return "doc";
  return "other";
}

export const updatesOf = (view: RecordView | undefined): Uint8Array[] => (view?.lists["updates"] ?? []).filter((u): u is Uint8Array => u instanceof Uint8Array);
