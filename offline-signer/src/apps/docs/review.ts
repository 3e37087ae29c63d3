/**
 * The accepted versions of a document: a pure function of its converged records (the document,
 * its proposals), the collection's settings and the team state, so every vault that holds the
 * same changesets shows the same accepted version (docs/apps.md, "docs").
 *
 * The document's `reviews` list is walked in HLC order — the same order on every vault. A review
 * counts when it decodes, names a valid proposal of this document by the digest of what that
 * proposal says now, comes after the "proposed" item its author wrote with the proposal's last
 * version (so a review stamped with an older time than the proposal counts for nothing), is by
 * someone other than the proposal's author, in a role at least the settings' reviewer role (the
 * check held the role to the author's role at the causal position).
 * A rejection ends a pending proposal; the approval that brings a proposal to the settings'
 * number is where it is accepted: as it is when its base is the newest version, else through a
 * three-way merge of base, newest version and proposal, within the per-merge budget
 * (text-diff.ts; merges remembered across replays, merge-memo.ts). A merge with conflicts, or one beyond the budget
 * (not tried), leaves the proposal `conflicted` (kept, shown with its conflicts, never accepted: it needs a new proposal
 * on the newest version).
 */
import type { RecordView } from "../app.js";
import { textOf } from "../record-diff.js";
import { roleRank } from "../../team/entry.js";
import type { TeamState } from "../../team/state.js";
import { decodeOpened, decodeReview, docAuthor, proposalAuthor, proposalDigest, type Settings } from "./record.js";
import { mergeMemo } from "./merge-memo.js";
import type { Conflict, MergeTooLarge } from "./text-diff.js";

export interface Proposal {
  readonly id: string;
  readonly doc: string;
  /** The accepted version (its id) the proposal was written on. */
  readonly base: string;
  readonly text: string;
  readonly message: string;
  /** User id of its author. */
  readonly by: string;
  readonly digest: string;
  readonly updated: number;
}

export interface Version {
  /** 1 for the document's first text, then one more per accepted proposal. */
  readonly n: number;
  /** The document's id for version 1, else the accepted proposal's. */
  readonly id: string;
  readonly text: string;
  readonly by: string;
  readonly approvers: readonly string[];
  /** Made by a three-way merge: the accepted text had moved since the proposal's base. */
  readonly merged: boolean;
}

export type ProposalState = "pending" | "accepted" | "rejected" | "conflicted";

export interface ProposalStatus {
  readonly proposal: Proposal;
  state: ProposalState;
  readonly approvals: string[];
  rejectedBy?: string;
  version?: number;
  conflicts?: readonly Conflict[];
  /** Conflicted because the merge was beyond the budget (text-diff.ts), so it was not tried. */
  tooLarge?: MergeTooLarge;
}

export interface DocState {
  readonly id: string;
  readonly title: string;
  readonly versions: readonly Version[];
  readonly proposals: readonly ProposalStatus[];
}

/**
 * A proposal as written, or undefined when it is not one every vault can trust: not a proposal
 * id, fields missing, or written (visibly) by a device of anyone but the user its id names.
 */
export function proposalOf(view: RecordView, state: TeamState): Proposal | undefined {
  const by = proposalAuthor(view.id);
  const doc = textOf(view.fields["doc"]);
  const base = textOf(view.fields["base"]);
  const text = view.fields["text"];
  if (by === undefined || doc === undefined || base === undefined || typeof text !== "string" || view.fields["by"] !== by) return undefined;
  if (!view.authors.every((d) => state.devices.get(d)?.user === by)) return undefined;
  return { id: view.id, doc, base, text, message: textOf(view.fields["message"]) ?? "", by, digest: proposalDigest({ doc, base, text, by }), updated: view.updated };
}

export function docState(doc: RecordView, proposals: readonly RecordView[], settings: Settings, state: TeamState): DocState {
  const first: Version = { n: 1, id: doc.id, text: typeof doc.fields["initial"] === "string" ? doc.fields["initial"] : "", by: docAuthor(doc.id) ?? "", approvers: [], merged: false };
  const versions: Version[] = [first];
  const byId = new Map<string, Version>([[doc.id, first]]);
  const statuses = new Map<string, ProposalStatus>();
  for (const view of proposals) {
    const p = proposalOf(view, state);
    if (p !== undefined && p.doc === doc.id) statuses.set(p.id, { proposal: p, state: "pending", approvals: [] });
  }
  const log = doc.lists["reviews"] ?? [];
  // Where each proposal was last written (its newest "proposed" item): only reviews after it count.
  const opened = new Map<string, { at: number; digest: string }>();
  for (const [at, raw] of log.entries()) {
    const o = decodeOpened(raw);
    if (o !== undefined) opened.set(o.proposal, { at, digest: o.digest });
  }
  const floor = roleRank(settings.reviewer);
  for (const [at, raw] of log.entries()) {
    const r = decodeReview(raw);
    if (r === undefined) continue;
    const st = statuses.get(r.proposal);
    if (st === undefined || st.state !== "pending") continue;
    const p = st.proposal;
    const open = opened.get(p.id);
    if (open === undefined || open.at > at || open.digest !== p.digest) continue;
    if (r.digest !== p.digest || r.user === p.by || roleRank(r.role) < floor) continue;
    if (r.verdict === "reject") {
      st.state = "rejected";
      st.rejectedBy = r.user;
      continue;
    }
    if (!st.approvals.includes(r.user)) st.approvals.push(r.user);
    if (st.approvals.length < settings.approvals) continue;
    const base = byId.get(p.base);
    // Written on a version not (yet) accepted: it waits; a later approval tries again.
    if (base === undefined) continue;
    const head = versions[versions.length - 1]!;
    let text = p.text;
    if (base.id !== head.id) {
      const m = mergeMemo.merge(base.text, head.text, p.text);
      if (!m.ok) {
        st.state = "conflicted";
        st.conflicts = m.conflicts;
        if (m.tooLarge !== undefined) st.tooLarge = m.tooLarge;
        continue;
      }
      text = m.text;
    }
    const v: Version = { n: versions.length + 1, id: p.id, text, by: p.by, approvers: [...st.approvals], merged: base.id !== head.id };
    versions.push(v);
    byId.set(p.id, v);
    st.state = "accepted";
    st.version = v.n;
  }
  const ordered = [...statuses.values()].sort((a, b) => a.proposal.updated - b.proposal.updated || (a.proposal.id < b.proposal.id ? -1 : 1));
  return { id: doc.id, title: textOf(doc.fields["title"]) ?? "", versions, proposals: ordered };
}

/**
 * What approving `proposal` now would do on this vault: accept it as written, merge it cleanly
 * (the text it would make), or conflict (the regions). For the approve command and the diff.
 */
export function previewAccept(doc: DocState, p: Proposal): { readonly kind: "direct"; readonly text: string } | { readonly kind: "merge"; readonly text: string } | { readonly kind: "conflict"; readonly conflicts: readonly Conflict[]; readonly tooLarge?: MergeTooLarge } | { readonly kind: "no-base" } {
  const head = doc.versions[doc.versions.length - 1]!;
  const base = doc.versions.find((v) => v.id === p.base);
  if (base === undefined) return { kind: "no-base" };
  if (base.id === head.id) return { kind: "direct", text: p.text };
  // The same merge docState does on approval, so the preview agrees with what it will find.
  const m = mergeMemo.merge(base.text, head.text, p.text);
  return m.ok ? { kind: "merge", text: m.text } : { kind: "conflict", conflicts: m.conflicts, ...(m.tooLarge === undefined ? {} : { tooLarge: m.tooLarge }) };
}
