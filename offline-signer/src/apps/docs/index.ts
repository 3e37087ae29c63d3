/**
 * The docs app: Markdown documents whose accepted version moves only by reviewed proposals
 * (review.ts), with a shared draft that merges concurrent edits as a Yjs text (yjs-update.ts).
 */
import { FILES_FIELD } from "../attachments/field.js";
import type { AppModule, CheckContext, Intent, RecordView, SearchContext, SearchText } from "../app.js";
import { atLeast } from "../../team/entry.js";
import { textOf } from "../record-diff.js";
import { DRAFT_SUFFIX, decodeOpened, decodeReview, docAuthor, kindOf, kindOfId, proposalAuthor, proposalDigest, settingsOf } from "./record.js";
import { docState } from "./review.js";
import { DOCS_SCHEMA, MAX_APPROVALS, REVIEWER_ROLES, SETTINGS_ID } from "./schema.js";
import { updateProblem } from "./yjs-update.js";

const SETTINGS_FIELDS = new Set(["approvals", "reviewer"]);
const DOC_FIELDS = new Set(["title", "initial", "creator"]);
const PROPOSAL_FIELDS = new Set(["doc", "base", "text", "message", "by"]);
/** What a proposal's batch restates whole: its digest is over these. */
const PROPOSAL_WHOLE = ["doc", "base", "text", "by"] as const;

/**
 * Replicated rules (every vault, at the batch's causal position; nothing but the batch and the
 * team): a record's kind is its id's form, and each kind has its own fields. Only admins write
 * the settings, or delete anything. A document's title and first version, and every field of a
 * proposal, are written only by devices of the user the id names (`creator`/`by` name that user),
 * so no one else can rewrite, hide or claim them. A proposal is written whole (doc, base, text,
 * by) together with a "proposed" item of its digest in its document's `reviews`: the point in
 * the log after which reviews of it count (review.ts). A review names its author's own user and a
 * role that user holds (so a viewer, or an editor posing as an admin, approves nothing). A draft
 * update carries only its signing device's Yjs structs.
 */
function check(intents: readonly Intent[], context: CheckContext): string | undefined {
  const device = context.state.devices.get(context.author);
  const user = device === undefined ? undefined : context.state.users.get(device.user);
  if (device === undefined || user === undefined) return "its author is not a member";
  // A snapshot restates what other members wrote (checked then): only values and forms are checked again.
  const restated = context.snapshot === true;
  const admin = restated || atLeast(user.role, "admin");
  const proposals = new Map<string, Map<string, unknown>>();
  const opened: { at: string; doc: string; proposal: string; digest: string }[] = [];
  for (const [i, x] of intents.entries()) {
    const at = `op ${i}`;
    if (x.kind === "delete") {
      if (!admin) return `${at}: only admins delete documents (proposals and reviews are kept)`;
      continue;
    }
    const kind = kindOfId(x.record);
    if (kind === "settings" || SETTINGS_FIELDS.has(x.field)) {
      if (kind !== "settings" || !SETTINGS_FIELDS.has(x.field)) return `${at}: "${x.field}" belongs only to the settings record, which holds only approvals and reviewer`;
      if (!admin) return `${at}: only admins change the docs settings (the author is ${user.role === "editor" ? "an" : "a"} ${user.role})`;
      if (x.field === "approvals" && x.value !== null && (typeof x.value !== "number" || !Number.isInteger(x.value) || x.value < 1 || x.value > MAX_APPROVALS)) return `${at}: approvals must be 1 to ${MAX_APPROVALS}`;
      if (x.field === "reviewer" && x.value !== null && !(REVIEWER_ROLES as readonly unknown[]).includes(x.value)) return `${at}: reviewer must be one of ${REVIEWER_ROLES.join(", ")}`;
      continue;
    }
    if (kind === "draft") {
      if (x.kind !== "append" || x.field !== "updates") return `${at}: a draft (${DRAFT_SUFFIX}) holds only appended "updates"`;
      const why = x.value instanceof Uint8Array ? updateProblem(x.value, restated ? undefined : context.author) : "is not bytes";
      if (why !== undefined) return `${at}: a draft update ${why}`;
      continue;
    }
    if (kind === "doc") {
      const creator = docAuthor(x.record)!;
      if (x.kind === "append" && x.field === "reviews") {
        const o = decodeOpened(x.value);
        if (o !== undefined) {
          if (!restated && proposalAuthor(o.proposal) !== user.id) return `${at}: only a proposal's author marks where it was written`;
          opened.push({ at, doc: x.record, proposal: o.proposal, digest: o.digest });
          continue;
        }
        const r = decodeReview(x.value);
        if (r === undefined) return `${at}: a review is verdict, proposal, digest, user and role`;
        if (restated) continue;
        if (r.user !== user.id) return `${at}: a review names another user than the one who signed it`;
        if (!atLeast(user.role, r.role)) return `${at}: a review as ${r.role} by ${user.role === "editor" ? "an" : "a"} ${user.role}`;
        continue;
      }
      if (x.field === FILES_FIELD.name) {
        // Files belong to what their author wrote: only a document's creator attaches to it.
        if (!restated && creator !== user.id) return `${at}: only the document's creator attaches files to it`;
        continue;
      }
      if (x.kind !== "set" || !DOC_FIELDS.has(x.field)) return `${at}: a document holds only title, initial, creator, files and appended reviews, not "${x.field}"`;
      if (!restated && creator !== user.id) return `${at}: only the document's creator writes its title and first version`;
      if (x.field === "creator" && x.value !== creator) return `${at}: "creator" must name the user in the document's id`;
      continue;
    }
    if (kind === "proposal") {
      const by = proposalAuthor(x.record)!;
      if (x.field === FILES_FIELD.name) {
        if (!restated && by !== user.id) return `${at}: only a proposal's author attaches files to it`;
        continue;
      }
      if (x.kind !== "set" || !PROPOSAL_FIELDS.has(x.field)) return `${at}: a proposal holds only doc, base, text, message, by and files, not "${x.field}"`;
      if (!restated && by !== user.id) return `${at}: only a proposal's author writes it`;
      if (x.field === "by" && x.value !== by) return `${at}: "by" must name the user in the proposal's id`;
      if (x.field === "doc" && (typeof x.value !== "string" || docAuthor(x.value) === undefined)) return `${at}: "doc" must be a document's id`;
      if (x.field === "base" && (typeof x.value !== "string" || kindOfId(x.value) === "other" || kindOfId(x.value) === "settings" || kindOfId(x.value) === "draft")) return `${at}: "base" must be a document's or a proposal's id`;
      const fields = proposals.get(x.record) ?? new Map<string, unknown>();
      fields.set(x.field, x.value);
      proposals.set(x.record, fields);
      continue;
    }
    return `${at}: "${x.field}" is written to an id of no docs record (a document, proposal, draft or settings)`;
  }
  if (restated) return undefined;
  // A proposal and the "proposed" item that opens its reviews come together, with the same digest.
  const digests = new Map<string, { doc: string; digest: string }>();
  for (const [id, fields] of proposals) {
    const [doc, base, text, by] = PROPOSAL_WHOLE.map((f) => fields.get(f));
    if (typeof doc !== "string" || typeof base !== "string" || typeof text !== "string" || typeof by !== "string") return `proposal ${id}: written whole (${PROPOSAL_WHOLE.join(", ")}) or not at all`;
    const digest = proposalDigest({ doc, base, text, by });
    if (!opened.some((o) => o.proposal === id && o.doc === doc && o.digest === digest)) return `proposal ${id}: written with a "proposed" item of its digest in its document's reviews`;
    digests.set(id, { doc, digest });
  }
  for (const o of opened) {
    const d = digests.get(o.proposal);
    if (d === undefined || d.doc !== o.doc || d.digest !== o.digest) return `${o.at}: a "proposed" item comes with the proposal it names, written whole in the same batch`;
  }
  return undefined;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * A document is found by its title and its accepted text, the newest version review.ts accepts
 * from its proposals and the settings, as on every vault; never by a pending, rejected or
 * conflicted proposal's text. A proposal is found by its message only. Drafts and settings hold
 * nothing to find.
 */
function searchText(r: RecordView, context?: SearchContext): SearchText {
  const kind = kindOf(r);
  if (kind === "proposal") return { title: text(r.fields["message"]), body: "" };
  if (kind !== "doc") return { title: "", body: "" };
  const title = text(r.fields["title"]);
  if (context === undefined) return { title, body: "" };
  // Its own proposals only: read by their doc field, not by filtering the collection per document.
  const proposals = context.referring("doc", r.id).filter((p) => kindOf(p) === "proposal");
  const versions = docState(r, proposals, settingsOf(context.record(SETTINGS_ID)), context.state).versions;
  return { title, body: versions[versions.length - 1]!.text };
}

/**
 * Whose entries a change moves: a proposal's document (the one it names now, and the one it
 * named before), and every document when the settings change. The team is read only to tie a
 * proposal's devices to its author, which never changes once a device is known: team changes
 * move no entry.
 */
function searchDependents(record: string, before: RecordView | undefined, after: RecordView | undefined): readonly string[] | "collection" {
  const kind = kindOfId(record);
  if (kind === "settings") return "collection";
  if (kind !== "proposal") return [];
  return [...new Set([before?.fields["doc"], after?.fields["doc"]].filter((d): d is string => typeof d === "string"))];
}

export const docsApp: AppModule = {
  schema: DOCS_SCHEMA,
  label: "Documents",
  noun: "document",
  searchText,
  searchDependents,
  // Only a document's entry reads others (its proposals, the settings).
  searchReadsOthers: (record) => kindOfId(record) === "doc",
  summary: (r) => {
    const kind = kindOf(r);
    if (kind === "proposal") return `proposal for ${text(r.fields["doc"])}: ${textOf(r.fields["message"]) ?? "(no message)"}`;
    if (kind === "draft") return `draft of ${r.id.slice(0, -DRAFT_SUFFIX.length)}`;
    if (kind === "settings") return "review settings";
    return text(r.fields["title"]);
  },
  check,
};
