/** The docs screen against real vaults: the list, the detail with proposals, and a proposal made from the draft through the form. */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { sync } from "../../../test-support/vaults.js";
import { ENTER, press, tuiFixtures, until } from "../../../test-support/tui.js";
import { createDoc, editDraft, loadDoc, propose, review } from "../../apps/docs/ops.js";
import { DocsView } from "./DocsView.js";

const fixtures = tuiFixtures("airlock-tui-docs-");

describe("the docs screen", () => {
  it("lists documents with their version, shows proposals, and proposes the draft", async () => {
    const { a, b } = await fixtures.team();
    a.createCollection("plans", "Plans", "viewer", "editor", "docs");
    const { id } = createDoc(a, "plans", "Field plan", "# Field plan\n\nMeet on Monday.\n");
    sync(a, b);
    const p = propose(b, "plans", id, "# Field plan\n\nMeet on Tuesday.\n", "tuesday");
    sync(b, a);
    review(a, "plans", p.id, "approve");
    propose(b, "plans", id, "# Field plan\n\nMeet on Friday.\n", "friday");
    sync(b, a);
    editDraft(a, "plans", id, "# Field plan\n\nMeet on Tuesday.\n\nBring water.\n");
    const messages: string[] = [];
    const props = {
      vault: a,
      collection: "plans",
      records: a.records("plans"),
      selectedId: id,
      onSelect: () => undefined,
      onMessage: (m: { text: string }) => messages.push(m.text),
      onKey: () => undefined,
      rows: 20,
    };
    const ui = render(<DocsView {...props} />);
    const frame = await until(ui, "Meet on Tuesday.");
    expect(frame).toContain("Field plan");
    expect(frame).toContain("v2");
    expect(frame).toContain("1 pending");
    expect(frame).toContain("accepted as v2");
    expect(frame).toMatch(/pending\s+by bob\s+friday/);
    await press(ui, "e", "Propose the draft");
    await press(ui, "water" + ENTER, "Documents (1)");
    for (let i = 0; i < 300 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(messages.join("\n")).toMatch(/Proposed [0-9a-f]{16}/);
    const doc = loadDoc(a, "plans", id);
    expect(doc.proposals.map((x) => x.proposal.message)).toContain("water");
    expect(doc.proposals.find((x) => x.proposal.message === "water")!.proposal.text).toContain("Bring water.");
  });
});
