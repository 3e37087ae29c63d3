/**
 * Attendees and removed members (review of #12): an invitation is checked against the team at the
 * batch's causal position, so a member can be invited only while a member; once removed they stay
 * in the event's set (nobody may rewrite history) but are never presented as attending: `events
 * show` marks them, the names the TUI and the export use leave them out, and an import does not
 * turn their Airlock id back into an attendee.
 */
import { describe, expect, it } from "vitest";
import { HostileMember } from "../../../test-support/hostile.js";
import { importInto, newVault, sync, team, tempRoots } from "../../../test-support/vaults.js";
import type { CalEvent } from "./event.js";
import { parseIcs, serializeIcs } from "./ical.js";
import { memberNames } from "./input.js";
import { attendeeText, attendeesOf } from "./read.js";
import { eventIntents, eventOf } from "./record.js";

const root = tempRoots("airlock-attendees-");
const standup: CalEvent = { title: "Stand-up", allDay: false, tz: "Europe/Berlin", start: "2026-03-16T09:00:00", end: "2026-03-16T09:30:00", exdates: [], overrides: [], attendees: [], guests: [] };

describe("a removed member", () => {
  it("was invited while a member, cannot be invited after, and is shown as removed, not attending", async () => {
    const dir = root();
    const { a, b, clock } = await team(dir);
    const c = await newVault(dir, "c", clock);
    a.addMember(c.joinRequest("carl").bytes, "editor");
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    const id = (name: string): string => [...a.state().users.values()].find((u) => u.name === name)!.id;
    const [bob, carl] = [id("bob"), id("carl")];
    a.write("cal", eventIntents("e1", { ...standup, attendees: [bob, carl] }));
    sync(a, b, c);

    a.removeMember("bob");
    sync(a, c);
    // Carl's client, tampered, invites Bob again after seeing the removal: refused on every vault.
    const mallory = new HostileMember(c);
    const late = mallory.changeset({ collection: "cal", ops: [{ kind: "add", record: "e1", field: "attendees", value: bob }] });
    const report = importInto(a, [mallory.bundle({ changesets: [late] })]);
    expect(report.rejected).toBe(1);
    const reasons = (a.store.connection().prepare("SELECT reason FROM changesets WHERE status = 'rejected'").all() as { reason: string }[]).map((x) => x.reason);
    expect(reasons.join("\n")).toMatch(/attendees is not a member of the team/);

    // The invitation made while he was a member stays in the set, marked wherever it is read.
    const e = eventOf(a.record("cal", "e1")!);
    expect([...e.attendees].sort()).toEqual([bob, carl].sort());
    const shown = attendeesOf(e, a.state());
    expect(shown.find((x) => x.id === bob)).toEqual({ id: bob, name: "bob", removed: true });
    expect(shown.find((x) => x.id === carl)).toEqual({ id: carl, name: "carl", removed: false });
    expect(shown.map(attendeeText).sort()).toEqual(["bob (removed from the team)", "carl"]);
    const names = memberNames(a.state());
    expect(names.has(bob)).toBe(false);
    expect(names.get(carl)).toBe("carl");

    // An export lists only current members; its re-import does not make Bob an attendee again.
    const text = new TextDecoder().decode(serializeIcs([{ id: "e1", event: e, updated: 0 }], names)).replace(/\r\n[ \t]/g, "");
    expect(text).toContain(`urn:airlock:member:${carl}`);
    expect(text).not.toContain(bob);
    const forged = text.replace(`ATTENDEE;CN=carl:urn:airlock:member:${carl}`, `ATTENDEE;CN=bob:urn:airlock:member:${bob}`);
    const back = parseIcs(new TextEncoder().encode(forged), { floatingZone: "UTC", members: new Map([["carl", carl]]) }).events[0]!;
    expect(back.attendees).toEqual([]);
    expect(back.guests).toEqual([`bob <urn:airlock:member:${bob}>`]);
    for (const v of [a, b, c]) v.close();
  });
});
