/**
 * The tickets screen against real vaults (encrypted SQLite in temp folders, test-only KDF):
 * urgent tickets at the top, the detail with names for user ids, and a comment and a status
 * change written through the forms as real changesets.
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { sync } from "../../../test-support/vaults.js";
import { END, ENTER, ESC, press, tuiFixtures, until } from "../../../test-support/tui.js";
import { ticketOf } from "../../apps/tickets/ticket.js";
import { addTicket, myUser, statusIntents } from "../../apps/tickets/write.js";
import { App } from "../App.js";

const fixtures = tuiFixtures("airlock-tui-tickets-");

const NOW = Date.UTC(2026, 10, 28, 9);

describe("the tickets screen", () => {
  it("shows urgent open tickets first and names them above the list; comments and status changes go through its forms", async () => {
    const { a, b } = await fixtures.team();
    a.createCollection("tickets", "Tickets", "viewer", "editor", "tickets");
    sync(a, b);
    addTicket(a, "tickets", { title: "Printer paper", priority: "high" }, NOW);
    const fuel = addTicket(a, "tickets", { title: "Generator fuel", priority: "urgent", assignee: myUser(b), due: "2026-11-01", labels: ["power"] }, NOW).id;
    const old = addTicket(a, "tickets", { title: "Old alarm", priority: "urgent" }, NOW).id;
    a.write("tickets", statusIntents(a.record("tickets", old)!, myUser(a), NOW, "done"));

    const screen = render(<App home={a.store.dir} vault={a} now={() => NOW} />);
    // The home screen names the urgent ticket; u goes to it.
    const home = await until(screen, "Needs attention");
    expect(home).toContain("u  1 urgent ticket: Generator fuel");
    let frame = await press(screen, "u", "Tickets (3)");
    expect(frame).toContain("Urgent (1): Generator fuel");
    const rows = frame.split("\n");
    const at = (s: string): number => rows.findIndex((l) => l.includes(s));
    expect(at("Urgent (1)")).toBeLessThan(at("Tickets (3)"));
    expect(frame).toMatch(/› ! Generator fuel\s+open\s+bob/);
    expect(at("Generator fuel  ")).toBeLessThan(at("Printer paper"));
    expect(at("Printer paper")).toBeLessThan(at("Old alarm"));
    expect(frame).toContain("URGENT");
    expect(frame).toMatch(/assignee\s+bob/);
    expect(frame).toMatch(/due\s+2026-11-01 \(overdue\)/);
    expect(frame).toMatch(/reporter\s+alice/);

    await press(screen, "c", "Comment on “Generator fuel”");
    await press(screen, "Two cans at the depot", "Two cans at the depot");
    frame = await press(screen, ENTER, "Commented on “Generator fuel”.");
    expect(frame).toContain("Comments (1)");
    await press(screen, "m", "Status of “Generator fuel” (now open)");
    await press(screen, "blocked", /blocked/);
    frame = await press(screen, ENTER, "“Generator fuel” is now blocked.");
    const ticket = ticketOf(a.record("tickets", fuel)!);
    expect(ticket.status).toBe("blocked");
    expect(ticket.comments.map((c) => [c.author, c.body])).toEqual([[myUser(a), "Two cans at the depot"]]);
    // The history is below the detail's window: read the ticket full width and scroll to its end.
    await press(screen, ENTER, "esc back");
    frame = await press(screen, END, /alice\s+status: open → bl/);
    await press(screen, ESC, /› ! Generator fuel/);
    // A move the transitions forbid is refused with the rule as the hint, nothing written.
    await press(screen, "j", /› Printer paper/);
    await press(screen, "m", "Status of “Printer paper” (now open)");
    await press(screen, "done", /done/);
    await press(screen, ENTER, "“Printer paper” is now done.");
    await press(screen, "m", "(now done)");
    await press(screen, "blocked", /blocked/);
    frame = await press(screen, ENTER, "cannot become blocked");
    expect(ticketOf(a.records("tickets").find((r) => ticketOf(r).title === "Printer paper")!).status).toBe("done");
  });
});
