/**
 * `airlock docs` through the real bin as child processes: Alice makes a document, Bob proposes a
 * change on his own vault, a USB folder carries it, Alice reads the diff and approves, and `search`
 * finds the accepted text on both vaults; every call checks several things because each process start is costly.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, airlockJson } from "../../../test-support/cli.js";
import { tempRoot } from "../../../test-support/vaults.js";
import { fingerprintArgs } from "../../../test-support/fingerprint.js";

const { root, cleanup } = tempRoot("airlock-docs-cli-");
afterAll(cleanup);
const alice = ["--home", join(root, "alice")];
const bob = ["--home", join(root, "bob")];

describe("docs through the airlock CLI", () => {
  it("new, propose, proposals, diff, approve, show --version, history, draft; errors are typed", () => {
    const stick = join(root, "stick");
    mkdirSync(stick);
    const v1 = join(root, "v1.md");
    const v2 = join(root, "v2.md");
    writeFileSync(v1, "# Plan\n\nMeet on Monday.\n\nBring \u001b[31mnothing\u001b[0m.\n");
    writeFileSync(v2, "# Plan\n\nMeet on Tuesday.\n\nBring \u001b[31mnothing\u001b[0m.\n");
    airlockJson(["init", "--team", "Desk", "--name", "alice", ...alice]);
    airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), ...bob]);
    airlockJson(["members", "add", join(root, "bob.req"), "--role", "editor", ...fingerprintArgs(join(root, "bob.req")), ...alice]);
    airlockJson(["collections", "add", "plans", "--type", "docs", ...alice]);
    const doc = airlockJson(["docs", "new", "--title", "Plan", "--file", v1, ...alice])["id"] as string;
    airlockJson(["export", "--usb", stick, ...alice]);
    airlockJson(["import", stick, ...bob]);
    const proposal = airlockJson(["docs", "propose", doc.slice(0, 6), "--file", v2, "--message", "Tuesday", ...bob]);
    expect(proposal).toMatchObject({ doc, baseVersion: 1 });
    airlockJson(["export", "--usb", stick, ...bob]);
    airlockJson(["import", stick, ...alice]);

    const diff = airlock(["docs", "diff", proposal["id"] as string, ...alice]);
    expect(diff.status, diff.stderr).toBe(0);
    expect(diff.stdout).toContain("-Meet on Monday.\n+Meet on Tuesday.\n");
    expect(diff.stdout).not.toContain("\u001b");

    // Pending: `search` finds the proposal by its message, the document only by its accepted text.
    const ids = (args: string[]): string[] => (airlockJson(["search", ...args])["results"] as { id: string }[]).map((r) => r.id);
    expect(ids(["Tuesday", ...alice])).toEqual([proposal["id"]]);
    expect(ids(["Monday", ...alice])).toEqual([doc]);

    const approved = airlockJson(["docs", "approve", proposal["id"] as string, ...alice]);
    expect(approved).toMatchObject({ state: "accepted", version: 2 });
    // Accepted: the document is found by its new text, on this vault and on Bob's once the approval reaches it.
    expect(ids(["Monday", ...alice])).toEqual([]);
    expect(ids(["Meet", "Tuesday", ...alice])).toEqual([doc]);
    airlockJson(["export", "--usb", stick, ...alice]);
    airlockJson(["import", stick, ...bob]);
    expect(ids(["Meet", "Tuesday", ...bob])).toEqual([doc]);
    expect(ids(["Monday", ...bob])).toEqual([]);
    // Not pending any more: a typed error with a hint.
    const again = airlock(["docs", "approve", proposal["id"] as string, "--json", ...alice]);
    expect(again.status).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: "DOCS_NOT_PENDING" } });
    // Proposing the accepted text itself is refused, and writes nothing (history below has one proposal).
    const same = airlock(["docs", "propose", doc, "--file", v2, "--json", ...alice]);
    expect(same.status).toBe(1);
    expect(JSON.parse(same.stdout)).toMatchObject({ ok: false, error: { code: "DOCS_NO_CHANGE", message: `the proposal is the text of version 2 of ${doc} as it is` } });

    expect(airlockJson(["docs", "show", doc, "--version", "1", ...alice])["text"]).toContain("Monday");
    const shown = airlock(["docs", "show", doc, ...alice]);
    expect(shown.stdout).toContain("Meet on Tuesday.");
    expect(shown.stdout).not.toContain("\u001b");
    const history = airlockJson(["docs", "history", doc, ...alice]) as { versions: { version: number; by: string; approvers: string[] }[]; proposals: { state: string; by: string }[] };
    expect(history.versions).toEqual([
      { version: 1, id: doc, by: "alice", approvers: [], merged: false },
      { version: 2, id: proposal["id"], by: "bob", approvers: ["alice"], merged: false },
    ]);
    expect(history.proposals).toMatchObject([{ state: "accepted", by: "bob" }]);

    const draft = airlockJson(["docs", "draft", doc, "--file", v2, ...alice]);
    expect(draft["bytes"]).toBeGreaterThan(0);
    expect(draft["bytes"]).toBeLessThan(200);
    const missing = airlock(["docs", "show", "ffff", "--json", ...alice]);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: "DOCS_NOT_FOUND" } });
  }, 120_000);
});
