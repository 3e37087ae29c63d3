/**
 * `airlock tickets …` through the real bin as child processes: one team (alice admin, bob a
 * member), real vault files. Each process start costs about a second, so each call checks
 * several things. Due dates sit far in the past or future, so no assertion depends on today.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlock, airlockJson, cliFailure as failure } from "../../../test-support/cli.js";
import { tempRoot } from "../../../test-support/vaults.js";
import { fingerprintArgs } from "../../../test-support/fingerprint.js";

const { root, cleanup } = tempRoot("airlock-tickets-cli-");
afterAll(cleanup);
const alice = ["--home", join(root, "alice")];


interface JsonTicket {
  id: string;
  title: string;
  status: string;
  priority: string;
  description: string;
  labels: string[];
  assignee: { name: string } | null;
  reporter: { name: string } | null;
  comments: { id: string; author: { name: string }; body: string }[];
  history: { who: { name: string }; what: string }[];
}

describe("airlock tickets", () => {
  beforeAll(() => {
    airlockJson(["init", "--team", "Field office", "--name", "alice", ...alice]);
    airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), "--home", join(root, "bob")]);
    airlockJson(["members", "add", join(root, "bob.req"), "--role", "editor", ...fingerprintArgs(join(root, "bob.req")), ...alice]);
  }, 60_000);

  it("add (making the collection), list filters, comment, status with its transitions, assign, show with history; urgent first in status", () => {
    const desc = join(root, "desc.txt");
    writeFileSync(desc, "Two jerrycans\nfrom the depot\n");
    const gen = airlockJson(["tickets", "add", "--title", "Generator fuel", "--description-file", desc, "--priority", "urgent", "--assignee", "bob", "--due", "2000-01-01", "--label", "power", ...alice]);
    expect(gen["createdCollection"]).toBe("tickets");
    const id = gen["id"] as string;
    const bad = failure(airlock(["tickets", "add", "--title", "x", "--due", "2026-02-30", "--json", ...alice]));
    expect(bad).toMatchObject({ code: "TICKETS_BAD_VALUE", message: expect.stringContaining("no such day") });
    const mine = airlockJson(["tickets", "add", "--title", "Mine", "--assignee", "alice", "--due", "2999-12-31", "--label", "north", ...alice])["id"] as string;

    const ids = (r: Record<string, unknown>): string[] => (r["tickets"] as JsonTicket[]).map((t) => t.id);
    expect(ids(airlockJson(["tickets", "list", "--mine", ...alice]))).toEqual([mine]);
    expect(ids(airlockJson(["tickets", "list", "--overdue", "--label", "power", ...alice]))).toEqual([id]);

    const status = airlock(["status", ...alice]);
    expect(status.status, status.stderr).toBe(0);
    const lines = status.stdout.split("\n").filter((l) => !l.startsWith("WARNING"));
    expect(lines[0]).toBe("Urgent tickets (1)");
    expect(lines[1]).toMatch(new RegExp(`^ +${id} +open +Generator fuel +bob +2000-01-01$`));

    const comment = airlockJson(["tickets", "comment", id, "Fuel ordered", ...alice])["comment"] as string;
    expect(airlockJson(["tickets", "status", id, "in-progress", ...alice])["changed"]).toEqual(["status"]);
    expect(airlockJson(["tickets", "close", id, ...alice])["changed"]).toEqual(["status"]);
    expect(failure(airlock(["tickets", "status", id, "blocked", "--json", ...alice])).code).toBe("TICKETS_BAD_TRANSITION");
    expect(failure(airlock(["tickets", "status", id, "weird", "--json", ...alice]))).toMatchObject({ code: "TICKETS_BAD_VALUE", hint: "see airlock tickets status --help" });
    expect(airlockJson(["tickets", "assign", id, "--unassign", ...alice])["changed"]).toEqual(["assignee"]);

    const t = airlockJson(["tickets", "show", id.slice(0, 6), ...alice])["ticket"] as JsonTicket;
    expect(t).toMatchObject({ title: "Generator fuel", status: "done", priority: "urgent", description: "Two jerrycans\nfrom the depot\n", labels: ["power"], assignee: null, reporter: { name: "alice" } });
    expect(t.comments).toEqual([expect.objectContaining({ id: comment, author: expect.objectContaining({ name: "alice" }), body: "Fuel ordered" })]);
    expect(t.history.map((h) => `${h.who.name}: ${h.what}`)).toEqual([
      "alice: created",
      "alice: assignee: bob",
      `alice: comment ${comment}`,
      "alice: status: open → in progress",
      "alice: status: in progress → done",
      "alice: assignee: none",
    ]);
  }, 120_000);
});
