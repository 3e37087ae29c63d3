/** `airlock docs …`: documents with reviewed changes and a shared draft, on the command line. */
import { Args, Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { VaultCommand } from "../../commands/base.js";
import { table } from "../../commands/format.js";
import { readBody } from "../../cli/text-input.js";
import { chooseCollection, chooseOrCreateCollection } from "../collection-choice.js";
import type { Vault } from "../../vault/vault.js";
import { docsApp } from "./index.js";
import { DocsConflictError, createDoc, docRecords, docsError, draftOf, editDraft, findProposal, loadDoc, propose, review, setSettings, settings, userName } from "./ops.js";
import { previewAccept, type DocState, type ProposalStatus } from "./review.js";
import { REVIEWER_ROLES, MAX_APPROVALS } from "./schema.js";
import { readableDiff, type Conflict, type MergeTooLarge } from "./text-diff.js";
import type { ReviewerRole, Verdict } from "./record.js";

const collection = Flags.string({ description: "docs collection (default: the only one you read)" });
const FILE_HELP = 'a UTF-8 Markdown file (at most 1 MiB); "-" reads standard input';
const docArg = { id: Args.string({ description: "document id (or a unique prefix)", required: true }) };
const proposalArg = { proposal: Args.string({ description: "proposal id (or a unique prefix)", required: true }) };

async function readText(path: string): Promise<string> {
  return (await readBody(path === "-" ? { body: "-", stdin: process.stdin } : { bodyFile: path, stdin: process.stdin }))!;
}

/** Each line of a text, escaped, behind a prefix: Markdown and diffs are printed but never act on the terminal. */
const block = (text: string, prefix = ""): string => (text === "" ? "" : text.replace(/\n$/, "").split("\n").map((l) => prefix + safe`${l}`).join("\n") + "\n");

function statusJson(vault: Vault, s: ProposalStatus): Record<string, unknown> {
  const p = s.proposal;
  return {
    id: p.id,
    doc: p.doc,
    base: p.base,
    message: p.message,
    by: userName(vault, p.by),
    state: s.state,
    approvals: s.approvals.map((u) => userName(vault, u)),
    ...(s.rejectedBy === undefined ? {} : { rejectedBy: userName(vault, s.rejectedBy) }),
    ...(s.version === undefined ? {} : { version: s.version }),
    ...(s.conflicts === undefined ? {} : { conflicts: s.conflicts }),
    ...(s.tooLarge === undefined ? {} : { tooLarge: s.tooLarge }),
  };
}

/** A merge beyond the budget (text-diff.ts) has no regions to show: say why instead. */
function tooLargeText(t: MergeTooLarge | undefined): string {
  return t === undefined ? "" : `too large to merge (${t.lines} lines, merge budget spent): propose again on the newest version\n`;
}

function conflictText(conflicts: readonly Conflict[]): string {
  return conflicts.map((c) => `conflict at base line ${c.baseLine}:\n` + block(c.base, "  base     | ") + block(c.accepted, "  accepted | ") + block(c.proposed, "  proposed | ")).join("");
}

const baseVersion = (doc: DocState, base: string): number | undefined => doc.versions.find((v) => v.id === base)?.n;

export class DocsNew extends VaultCommand {
  static override summary = "Create a document from a Markdown file: its first accepted version, and the draft everyone edits.";
  static override examples = ['<%= config.bin %> docs new --title "Security handbook" --file handbook.md'];
  static override flags = { title: Flags.string({ description: "the title", required: true }), file: Flags.string({ description: FILE_HELP, required: true }), collection };

  async run(): Promise<void> {
    const { flags } = await this.parse(DocsNew);
    if (flags.title.trim() === "") this.usage("--title is blank");
    if (/[\r\n]/.test(flags.title)) this.usage("--title must be one line");
    const text = await readText(flags.file);
    await this.withVault(flags, async (vault) => {
      let made: string | undefined;
      const c = chooseOrCreateCollection(vault, docsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      const { id, changeset } = createDoc(vault, c, flags.title, text);
      this.emit(flags.json, { id, collection: c, version: 1, changeset, ...(made === undefined ? {} : { createdCollection: made }) }, safe`Created ${flags.title} (${id}) in ${c}, version 1.` + "\n");
    });
  }
}

export class DocsList extends VaultCommand {
  static override summary = "List documents with their accepted version and pending proposals.";
  static override flags = { collection };

  async run(): Promise<void> {
    const { flags } = await this.parse(DocsList);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, docsApp, flags.collection);
      const docs = docRecords(vault, c)
        .map((r) => loadDoc(vault, c, r.id))
        .map((d) => ({ id: d.id, title: d.title, version: d.versions.length, pending: d.proposals.filter((p) => p.state === "pending").length }))
        .sort((a, b) => a.title.localeCompare(b.title) || (a.id < b.id ? -1 : 1));
      this.emit(flags.json, { collection: c, docs }, docs.length === 0 ? safe`no documents in ${c}` + "\n" : table(docs.map((d) => [d.id, d.title, `v${d.version}`, d.pending === 0 ? "" : `${d.pending} pending`])));
    });
  }
}

export class DocsShow extends VaultCommand {
  static override summary = "Print a document's accepted text (or any version of it).";
  static override examples = ["<%= config.bin %> docs show 3f2a", "<%= config.bin %> docs show 3f2a --version 2"];
  static override args = docArg;
  static override flags = { version: Flags.integer({ description: "version number (default: the newest accepted)", min: 1 }), collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsShow);
    await this.withVault(flags, async (vault) => {
      const doc = loadDoc(vault, chooseCollection(vault, docsApp, flags.collection), args.id);
      const n = flags.version ?? doc.versions.length;
      const v = doc.versions[n - 1];
      if (v === undefined) throw docsError("DOCS_NO_VERSION", `document ${doc.id} has ${doc.versions.length} version${doc.versions.length === 1 ? "" : "s"}, not ${n}`);
      this.emit(flags.json, { id: doc.id, title: doc.title, version: v.n, latest: doc.versions.length, by: userName(vault, v.by), text: v.text }, block(v.text));
    });
  }
}

export class DocsHistory extends VaultCommand {
  static override summary = "Every accepted version with its author and approvers, and every proposal (rejected and conflicted ones too).";
  static override args = docArg;
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsHistory);
    await this.withVault(flags, async (vault) => {
      const doc = loadDoc(vault, chooseCollection(vault, docsApp, flags.collection), args.id);
      const versions = doc.versions.map((v) => ({ version: v.n, id: v.id, by: userName(vault, v.by), approvers: v.approvers.map((u) => userName(vault, u)), merged: v.merged }));
      const proposals = doc.proposals.map((s) => statusJson(vault, s));
      const text =
        safe`${doc.title} (${doc.id})` +
        "\nversions:\n" +
        table(versions.map((v) => [`v${v.version}`, v.id, `by ${v.by}`, v.approvers.length === 0 ? "" : `approved by ${v.approvers.join(", ")}`, v.merged ? "merged" : ""])) +
        (proposals.length === 0 ? "" : "proposals:\n" + table(doc.proposals.map((s) => [s.proposal.id, s.state + (s.version === undefined ? "" : ` as v${s.version}`), `by ${userName(vault, s.proposal.by)}`, `on v${baseVersion(doc, s.proposal.base) ?? "?"}`, s.proposal.message])));
      this.emit(flags.json, { id: doc.id, title: doc.title, versions, proposals }, text);
    });
  }
}

export class DocsPropose extends VaultCommand {
  static override summary = "Propose a new text for a document, on its newest accepted version; reviewers approve or reject it.";
  static override examples = ['<%= config.bin %> docs propose 3f2a --file handbook.md --message "Meetings move to Tuesday"', "<%= config.bin %> docs propose 3f2a --from-draft"];
  static override args = docArg;
  static override flags = {
    file: Flags.string({ description: FILE_HELP }),
    "from-draft": Flags.boolean({ description: "propose the shared draft's current text", default: false, exclusive: ["file"] }),
    message: Flags.string({ description: "what changes and why (one line)" }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsPropose);
    if (flags.file === undefined && !flags["from-draft"]) this.usage("give --file FILE or --from-draft");
    if (flags.message !== undefined && /[\r\n]/.test(flags.message)) this.usage("--message must be one line");
    const text = flags.file === undefined ? undefined : await readText(flags.file);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, docsApp, flags.collection);
      const body = text ?? draftOf(vault, c, loadDoc(vault, c, args.id).id);
      const { id, base, changeset } = propose(vault, c, args.id, body, flags.message ?? "");
      const doc = loadDoc(vault, c, args.id);
      this.emit(flags.json, { id, doc: doc.id, base, baseVersion: baseVersion(doc, base), changeset }, safe`Proposed ${id} on version ${String(baseVersion(doc, base))} of ${doc.title}.` + "\n");
    });
  }
}

export class DocsProposals extends VaultCommand {
  static override summary = "List a document's proposals: pending, accepted, rejected, conflicted.";
  static override args = docArg;
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsProposals);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, docsApp, flags.collection);
      const doc = loadDoc(vault, c, args.id);
      const s = settings(vault, c);
      const rows = doc.proposals.map((p) => [p.proposal.id, p.state, `by ${userName(vault, p.proposal.by)}`, `${p.approvals.length}/${s.approvals} approvals`, p.proposal.message]);
      this.emit(flags.json, { doc: doc.id, settings: s, proposals: doc.proposals.map((p) => statusJson(vault, p)) }, rows.length === 0 ? safe`no proposals for ${doc.title}` + "\n" : table(rows));
    });
  }
}

export class DocsDiff extends VaultCommand {
  static override summary = "Show what a proposal changes against its base version, and how it would merge onto the newest one.";
  static override args = proposalArg;
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsDiff);
    await this.withVault(flags, async (vault) => {
      const { doc, status } = findProposal(vault, chooseCollection(vault, docsApp, flags.collection), args.proposal);
      const p = status.proposal;
      const base = doc.versions.find((v) => v.id === p.base);
      const diff = readableDiff(base?.text ?? "", p.text);
      const preview = status.state === "pending" ? previewAccept(doc, p) : undefined;
      const merge = preview === undefined ? undefined : preview.kind === "conflict" ? { kind: "conflict", conflicts: preview.conflicts, ...(preview.tooLarge === undefined ? {} : { tooLarge: preview.tooLarge }) } : { kind: preview.kind };
      let text = safe`proposal ${p.id} by ${userName(vault, p.by)} on version ${String(base?.n ?? "?")} (${status.state}): ${p.message}` + "\n" + block(diff);
      if (preview?.kind === "merge") text += `the accepted text moved to version ${doc.versions.length}; it merges without conflict\n`;
      if (preview?.kind === "conflict") text += `the accepted text moved to version ${doc.versions.length}; it conflicts:\n` + conflictText(preview.conflicts) + tooLargeText(preview.tooLarge);
      if (status.conflicts !== undefined) text += conflictText(status.conflicts) + tooLargeText(status.tooLarge);
      this.emit(flags.json, { ...statusJson(vault, status), baseVersion: base?.n, diff, ...(merge === undefined ? {} : { merge }) }, text);
    });
  }
}

abstract class DocsReview extends VaultCommand {
  protected async decide(verdict: Verdict, ref: string, flags: { collection?: string | undefined; json: boolean; home?: string | undefined; "passphrase-file"?: string | undefined }): Promise<void> {
    await this.withVault(flags, async (vault) => {
      try {
        const r = review(vault, chooseCollection(vault, docsApp, flags.collection), ref, verdict);
        const what = r.state === "accepted" ? `accepted as version ${r.version}` : r.state === "pending" ? "waiting for more approvals" : r.state;
        this.emit(flags.json, r, `${verdict === "approve" ? "Approved" : "Rejected"} ${r.proposal}: ${what}.\n`);
      } catch (e) {
        if (e instanceof DocsConflictError && !flags.json) process.stderr.write(conflictText(e.conflicts) + tooLargeText(e.tooLarge));
        throw e;
      }
    });
  }
}

export class DocsApprove extends DocsReview {
  static override summary = "Approve a proposal (as the reviewer role the collection's settings name); refused if it would conflict.";
  static override args = proposalArg;
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsApprove);
    await this.decide("approve", args.proposal, flags);
  }
}

export class DocsReject extends DocsReview {
  static override summary = "Reject a proposal; it stays in the history.";
  static override args = proposalArg;
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsReject);
    await this.decide("reject", args.proposal, flags);
  }
}

export class DocsDraft extends VaultCommand {
  static override summary = "Print the shared draft, or make it say a file's text (only the changed lines are written, so concurrent edits merge).";
  static override examples = ["<%= config.bin %> docs draft 3f2a > draft.md", "<%= config.bin %> docs draft 3f2a --file draft.md"];
  static override args = docArg;
  static override flags = { file: Flags.string({ description: FILE_HELP }), collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DocsDraft);
    const text = flags.file === undefined ? undefined : await readText(flags.file);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, docsApp, flags.collection);
      const doc = loadDoc(vault, c, args.id);
      if (text === undefined) {
        const draft = draftOf(vault, c, doc.id);
        this.emit(flags.json, { doc: doc.id, text: draft }, block(draft));
        return;
      }
      const r = editDraft(vault, c, doc.id, text);
      this.emit(flags.json, r, r.bytes === 0 ? "The draft already says that.\n" : `Wrote a ${r.bytes}-byte draft update to ${doc.id}.\n`);
    });
  }
}

export class DocsSettings extends VaultCommand {
  static override summary = "Show or set (admins) how many approvals a change needs and which role reviews, for a docs collection.";
  static override examples = ["<%= config.bin %> docs settings --approvals 2 --reviewer admin"];
  static override flags = {
    approvals: Flags.integer({ description: "approvals a proposal needs", min: 1, max: MAX_APPROVALS }),
    reviewer: Flags.string({ description: "the lowest role that reviews", options: [...REVIEWER_ROLES] }),
    collection,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DocsSettings);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, docsApp, flags.collection);
      const s =
        flags.approvals === undefined && flags.reviewer === undefined
          ? settings(vault, c)
          : setSettings(vault, c, { ...(flags.approvals === undefined ? {} : { approvals: flags.approvals }), ...(flags.reviewer === undefined ? {} : { reviewer: flags.reviewer as ReviewerRole }) });
      this.emit(flags.json, { collection: c, ...s }, safe`${c}: ${String(s.approvals)} approval${s.approvals === 1 ? "" : "s"} by ${s.reviewer}s or above` + "\n");
    });
  }
}

export const DOCS_COMMANDS = {
  "docs:new": DocsNew,
  "docs:list": DocsList,
  "docs:show": DocsShow,
  "docs:history": DocsHistory,
  "docs:propose": DocsPropose,
  "docs:proposals": DocsProposals,
  "docs:diff": DocsDiff,
  "docs:approve": DocsApprove,
  "docs:reject": DocsReject,
  "docs:draft": DocsDraft,
  "docs:settings": DocsSettings,
};
