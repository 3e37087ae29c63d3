/**
 * The home screen against real vaults and a stick folder in a temp dir (AIRLOCK_USB_ROOTS points
 * the search there): what it names, and the keys that go from it.
 */
import { mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ESC, press, tuiFixtures, until } from "../../../test-support/tui.js";
import { exportTo } from "../../vault/transfer.js";
import { App } from "../App.js";
import { findSticks, MAX_ENTRIES } from "../sticks.js";

const fixtures = tuiFixtures("airlock-tui-home-");
afterEach(() => {
  vi.unstubAllEnvs();
});

const BUNDLE = (i: number): string => `${"abcdefgh"[i]!.repeat(26)}.airlock`;

describe("finding sticks", () => {
  it("counts bundle files in airlock/inbox of each mounted folder, and follows no link on the stick", async () => {
    const root = fixtures.root();
    const media = join(root, "media");
    const stick = join(media, "STICK");
    mkdirSync(join(stick, "airlock", "inbox"), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(stick, "airlock", "inbox", BUNDLE(i)), "x");
    writeFileSync(join(stick, "airlock", "inbox", "notes.txt"), "not a bundle");
    // A stick whose airlock folder is a link elsewhere, and one with an empty inbox: neither counts.
    mkdirSync(join(media, "LINKED"));
    symlinkSync(join(stick, "airlock"), join(media, "LINKED", "airlock"));
    mkdirSync(join(media, "EMPTY", "airlock", "inbox"), { recursive: true });
    expect(await findSticks([media, join(root, "missing")])).toEqual([{ root: stick, bundles: 3 }]);
    expect(MAX_ENTRIES).toBeGreaterThan(3);
  });
});

describe("the home screen", () => {
  it("opens on a stick's bundles and the changes waiting to go out, and i imports from the stick", async () => {
    const { root, a, b } = await fixtures.team();
    b.write("notes", [{ kind: "set", record: "n1", field: "title", value: "From bob's stick" }]);
    a.write("notes", [{ kind: "set", record: "n2", field: "title", value: "Alice's own" }]);
    // Bob exports to the stick; a courier would put it in the inbox, where the vault reads.
    const stick = join(root, "media", "BOBSTICK");
    mkdirSync(stick, { recursive: true });
    await exportTo(b, { usb: stick });
    const outbox = join(stick, "airlock", "outbox");
    mkdirSync(join(stick, "airlock", "inbox"), { recursive: true });
    for (const f of readdirSync(outbox)) renameSync(join(outbox, f), join(stick, "airlock", "inbox", f));
    vi.stubEnv("AIRLOCK_USB_ROOTS", join(root, "media"));

    const screen = render(<App home={a.store.dir} vault={a} />);
    const home = await until(screen, "bundle on the stick");
    expect(home).toContain("Needs attention");
    expect(home).toContain(`i  1 bundle on the stick at ${stick}: import them`);
    expect(home).toMatch(/x {2}1 change set not yet acknowledged by 1 device \(bob\): export them/);
    expect(home).not.toContain("quarantined");
    const result = await press(screen, "i", /Changesets: 1 new, 1 applied/);
    expect(result).toContain("From bob's stick");
    expect(a.records("notes").map((r) => r.fields["title"]).sort()).toEqual(["Alice's own", "From bob's stick"]);
    // h comes back; with nothing refused and the stick read, only the export is left.
    await press(screen, " ", "Notes (2)");
    await press(screen, "h", "Needs attention");
    await press(screen, ESC, "Notes (2)");
  });

  it("does not open on outgoing changes alone", async () => {
    const { root, a } = await fixtures.team();
    a.write("notes", [{ kind: "set", record: "n2", field: "title", value: "Not yet sent" }]);
    vi.stubEnv("AIRLOCK_USB_ROOTS", join(root, "no-media"));
    const screen = render(<App home={a.store.dir} vault={a} />);
    await until(screen, "Not yet sent");
    const home = await press(screen, "h", "Needs attention");
    expect(home).toMatch(/x {2}1 change set not yet acknowledged by 1 device \(bob\)/);
    await press(screen, "x", "Export outgoing sync bundles");
  });
});
