/**
 * The docs app: Markdown documents whose accepted version moves only by reviewed proposals
 * (review.ts), with a shared draft that merges concurrent edits as a Yjs text (yjs-update.ts).
 */
import type { AppModule, CheckContext, Intent } from "../app.js";
import { atLeast } from "../../team/entry.js";
import { textOf } from "../record-diff.js";
import { DRAFT_SUFFIX, decodeReview, kindOf } from "./record.js";
import { DOCS_SCHEMA, MAX_APPROVALS, REVIEWER_ROLES, SETTINGS_ID } from "./schema.js";
import { updateProblem } from "./yjs-update.js";

const SETTINGS_FIELDS = new Set(["approvals", "reviewer"]);
/** Fields whose record must name its author in the same batch: a document's first text, a proposal. */
const STAMPED: Readonly<Record<string, string>> = { initial: "creator", doc: "by", base: "by", text: "by", message: "by" };

/**
 * Replicated rules (every vault, at the batch's causal position; nothing but the batch and the
 * team): only admins write the settings, or delete anything; a review names its author's own
 * user and a role that user holds (so a viewer, or an editor posing as an admin, approves
 * nothing); a first text or proposal names its author's user as `creator`/`by`; a draft update
 * carries only its signing device's Yjs structs.
 */
function check(intents: readonly Intent[], context: CheckContext): string | undefined {
  const device = context.state.devices.get(context.author);
  const user = device === undefined ? undefined : context.state.users.get(device.user);
  if (device === undefined || user === undefined) return "its author is not a member";
  // A snapshot restates reviews, texts and updates other members wrote (checked then): only their values are checked again.
  const restated = context.snapshot === true;
  const admin = restated || atLeast(user.role, "admin");
  const stamps = new Set<string>();
  for (const x of intents) if (x.kind === "set" && (x.field === "creator" || x.field === "by")) stamps.add(`${x.record}\u0000${x.field}`);
  for (const [i, x] of intents.entries()) {
    const at = `op ${i}`;
    if (x.kind === "delete") {
      if (!admin) return `${at}: only admins delete documents (proposals and reviews are kept)`;
      continue;
    }
    if (x.record === SETTINGS_ID || SETTINGS_FIELDS.has(x.field)) {
      if (x.record !== SETTINGS_ID || !SETTINGS_FIELDS.has(x.field)) return `${at}: "${x.field}" belongs only to the settings record, which holds only approvals and reviewer`;
      if (!admin) return `${at}: only admins change the docs settings (the author is ${user.role === "editor" ? "an" : "a"} ${user.role})`;
      if (x.field === "approvals" && x.value !== null && (typeof x.value !== "number" || x.value < 1 || x.value > MAX_APPROVALS)) return `${at}: approvals must be 1 to ${MAX_APPROVALS}`;
      if (x.field === "reviewer" && x.value !== null && !(REVIEWER_ROLES as readonly unknown[]).includes(x.value)) return `${at}: reviewer must be one of ${REVIEWER_ROLES.join(", ")}`;
      continue;
    }
    if (x.kind === "append" && x.field === "reviews") {
      const r = decodeReview(x.value);
      if (r === undefined) return `${at}: a review is verdict, proposal, digest, user and role`;
      if (restated) continue;
      if (r.user !== user.id) return `${at}: a review names another user than the one who signed it`;
      if (!atLeast(user.role, r.role)) return `${at}: a review as ${r.role} by ${user.role === "editor" ? "an" : "a"} ${user.role}`;
      continue;
    }
    if (x.kind === "append" && x.field === "updates") {
      if (!x.record.endsWith(DRAFT_SUFFIX)) return `${at}: draft updates belong to a draft record`;
      const why = x.value instanceof Uint8Array ? updateProblem(x.value, restated ? undefined : context.author) : "is not bytes";
      if (why !== undefined) return `${at}: a draft update ${why}`;
      continue;
    }
    if (x.kind === "set" && (x.field === "creator" || x.field === "by")) {
      if (!restated && x.value !== user.id) return `${at}: "${x.field}" must name the user who signed it`;
      continue;
    }
    const stamp = STAMPED[x.field];
    if (!restated && x.kind === "set" && stamp !== undefined && !stamps.has(`${x.record}\u0000${stamp}`)) return `${at}: "${x.field}" is written only with "${stamp}" naming its author`;
  }
  return undefined;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

export const docsApp: AppModule = {
  schema: DOCS_SCHEMA,
  label: "Documents",
  noun: "document",
  // Documents and proposals are searched by title and text; drafts and settings hold nothing to find.
  searchText: (r) => {
    const kind = kindOf(r);
    if (kind === "doc") return { title: text(r.fields["title"]), body: text(r.fields["initial"]) };
    if (kind === "proposal") return { title: text(r.fields["message"]), body: text(r.fields["text"]) };
    return { title: "", body: "" };
  },
  summary: (r) => {
    const kind = kindOf(r);
    if (kind === "proposal") return `proposal for ${text(r.fields["doc"])}: ${textOf(r.fields["message"]) ?? "(no message)"}`;
    if (kind === "draft") return `draft of ${r.id.slice(0, -DRAFT_SUFFIX.length)}`;
    if (kind === "settings") return "review settings";
    return text(r.fields["title"]);
  },
  check,
};
