/**
 * A hostile editor against others' documents and proposals (review findings F1, F7, F2): every
 * forged batch is signed by a real member's device and imported into real vaults, bypassing the
 * writer's own check, so only the replicated check and the read-time walk stand in the way.
 */
import { describe, expect, it } from "vitest";
import { HostileMember } from "../../../test-support/hostile.js";
import { docsTeam } from "../../../test-support/docs-team.js";
import { importInto, sync, tempRoots } from "../../../test-support/vaults.js";
import type { Vault } from "../../vault/vault.js";
import { docRecords, loadDoc, propose, review } from "./ops.js";
import { encodeOpened, encodeReview, newProposalId, proposalDigest } from "./record.js";

const root = tempRoots("airlock-docs-hostile-");
const C = "handbook";
const TEXT = "# Handbook\n\nMeet on Mondays.\n";
const NEXT = TEXT.replace("Mondays", "Tuesdays");

type Op = { kind?: "set" | "append"; record: string; field: string; value: string; wall?: number };

/** Alice (owner) wrote a document and a proposal, Bob (editor) approved it as version 2; Carl is an editor. */
async function accepted(): Promise<{ a: Vault; b: Vault; c: Vault; doc: string; proposal: string; forge(ops: readonly Op[]): number[] }> {
  const { a, b, c, doc } = await docsTeam(root(), { third: { name: "carl", role: "editor" }, writeRole: "editor", collection: C, text: TEXT });
  const all = (): void => {
    for (const x of [a, b, c]) sync(x, a, b, c);
  };
  all();
  const { id: proposal } = propose(a, C, doc, NEXT, "tue");
  all();
  expect(review(b, C, proposal, "approve")).toMatchObject({ state: "accepted", version: 2 });
  all();
  const carl = new HostileMember(c);
  const forge = (ops: readonly Op[]): number[] => {
    const bundle = carl.bundle({ changesets: [carl.changeset({ collection: C, ops })] });
    return [a, b].map((v) => importInto(v, [bundle]).rejected ?? 0);
  };
  return { a, b, c, doc, proposal, forge };
}

const unchanged = (vs: readonly Vault[], doc: string, by: string): void => {
  for (const v of vs) {
    const s = loadDoc(v, C, doc);
    expect(s.versions.map((x) => x.text)).toEqual([TEXT, NEXT]);
    expect(s.versions.map((x) => x.by)).toEqual([by, by]);
    expect(s.proposals.map((p) => p.state)).toEqual(["accepted"]);
  }
};

describe("docs against a hostile editor", () => {
  it("another editor's write to a proposal is refused everywhere: no field hides it, no rewrite claims it", async () => {
    const { a, b, c, doc, proposal, forge } = await accepted();
    const alice = a.me().user.id;
    const carl = c.me().user.id;
    const base = loadDoc(c, C, doc).proposals[0]!.proposal.base;
    // One unruled field on Alice's proposal (it used to make every vault drop it, and version 2 with it).
    expect(forge([{ record: proposal, field: "title", value: "x" }])).toEqual([1, 1]);
    // The whole proposal restated in Carl's name, "proposed" item and all.
    const digest = proposalDigest({ doc, base, text: NEXT, by: carl });
    expect(
      forge([
        { record: proposal, field: "doc", value: doc },
        { record: proposal, field: "base", value: base },
        { record: proposal, field: "text", value: NEXT },
        { record: proposal, field: "by", value: carl },
        { kind: "append", record: doc, field: "reviews", value: encodeOpened({ proposal, digest }) },
      ]),
    ).toEqual([1, 1]);
    // Carl's own proposal id, but without its "proposed" item, or naming Alice as author.
    const mine = newProposalId(carl);
    expect(
      forge([
        { record: mine, field: "doc", value: doc },
        { record: mine, field: "base", value: base },
        { record: mine, field: "text", value: NEXT },
        { record: mine, field: "by", value: carl },
      ]),
    ).toEqual([1, 1]);
    expect(forge([{ record: mine, field: "by", value: alice }])).toEqual([1, 1]);
    // Reviews belong to documents only.
    expect(forge([{ kind: "append", record: proposal, field: "reviews", value: "x" }])).toEqual([1, 1]);
    unchanged([a, b], doc, alice);
  });

  it("another editor cannot rewrite a document's first version nor turn the document into something else", async () => {
    const { a, b, c, doc, forge } = await accepted();
    const alice = a.me().user.id;
    const carl = c.me().user.id;
    expect(
      forge([
        { record: doc, field: "initial", value: "# Handbook\n\nPay sources to carl.\n" },
        { record: doc, field: "creator", value: carl },
      ]),
    ).toEqual([1, 1]);
    expect(forge([{ record: doc, field: "title", value: "Carl's now" }])).toEqual([1, 1]);
    expect(
      forge([
        { record: doc, field: "doc", value: doc },
        { record: doc, field: "by", value: carl },
      ]),
    ).toEqual([1, 1]);
    for (const v of [a, b]) {
      expect(docRecords(v, C).map((r) => r.id)).toEqual([doc]);
      expect(loadDoc(v, C, doc).title).toBe("Handbook");
    }
    unchanged([a, b], doc, alice);
  });

  it("a review stamped with an older time than the proposal counts for nothing", async () => {
    const { a, b, c, doc, proposal, forge } = await accepted();
    const digest = loadDoc(c, C, doc).proposals[0]!.proposal.digest;
    const reject = encodeReview({ verdict: "reject", proposal, digest, user: c.me().user.id, role: "editor" });
    // A valid review by a valid reviewer: every vault takes it, and the walk passes over it.
    expect(forge([{ kind: "append", record: doc, field: "reviews", value: reject, wall: 1 }])).toEqual([0, 0]);
    unchanged([a, b], doc, a.me().user.id);
  });
});
