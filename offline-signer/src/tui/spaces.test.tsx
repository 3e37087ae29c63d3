/**
 * The TUI over a vault with two spaces (docs/spaces.md): it opens on the space `spaces use` set,
 * the header names it, `S` goes to the next space with that space's own notes, and switching
 * closes the space left while the first stays open for the next switch. An import offers a
 * stick's bundles to every space.
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newVault, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { ENTER, press, tuiFixtures, until } from "../../test-support/tui.js";
import { exportBundles, importBundles } from "../vault/sync.js";
import { exportTo } from "../vault/transfer.js";
import { passphraseBytes } from "../store/index.js";
import { createSpace, findSpace, useSpace } from "../spaces/spaces.js";
import { App } from "./App.js";

const { root } = tuiFixtures("airlock-tui-spaces-");

describe("the TUI with several spaces", () => {
  it("names the space shown and switches with S", async () => {
    const first = await newVault(root(), "pat");
    first.init("NGO", "pat");
    first.write("notes", [{ kind: "set", record: "n1", field: "title", value: "ngo plans" }]);
    const { vault: second } = createSpace(first, "Coalition");
    second.init("Coalition", "pat");
    second.write("notes", [{ kind: "set", record: "c1", field: "title", value: "coalition plans" }]);
    second.close();
    useSpace(first, findSpace(first, "Coalition"));
    const home = first.store.dir;
    first.close();

    const screen = render(<App home={home} kdf="test-insecure" passphrase={passphraseBytes(TEST_PASSPHRASE)} />);
    let frame = await until(screen, "coalition plans");
    expect(frame).toContain('space "Coalition" (2/2, S: next)');
    expect(frame).not.toContain("ngo plans");
    frame = await press(screen, "S", "ngo plans");
    expect(frame).toContain('space "NGO" (1/2');
    expect(frame).not.toContain("coalition plans");
    // Back again: the first space's vault stayed open to open the other from.
    frame = await press(screen, "S", "coalition plans");
    expect(frame).toContain('team "Coalition"');
    screen.unmount();
  });

  it("imports a stick once into every space, as airlock import does", async () => {
    const r = root();
    const first = await newVault(r, "pat");
    first.init("NGO", "pat");
    const { vault: second } = createSpace(first, "Coalition");
    second.init("Coalition", "pat");
    const stick = join(r, "stick");
    mkdirSync(stick);
    // One teammate in each space writes a note; both bundles go on one stick.
    for (const [space, name, title] of [[first, "nadia", "from the ngo"], [second, "sam", "from the coalition"]] as const) {
      const peer = await newVault(r, name);
      space.addMember(peer.joinRequest(name).bytes, "editor");
      importBundles(peer, exportBundles(space).map((b) => ({ bytes: b.bytes, source: "t" })));
      peer.write("notes", [{ kind: "set", record: `${name}-1`, field: "title", value: title }]);
      await exportTo(peer, { usb: stick });
      peer.close();
    }
    second.close();
    const home = first.store.dir;
    first.close();

    const screen = render(<App home={home} kdf="test-insecure" passphrase={passphraseBytes(TEST_PASSPHRASE)} />);
    await until(screen, 'space "NGO" (1/2');
    await press(screen, "i", "Import bundles");
    await press(screen, stick, stick);
    const frame = await press(screen, ENTER, /Imported from .* into "NGO", "Coalition"/);
    expect(frame).toMatch(/Space "NGO":[\s\S]*Space "Coalition":/);
    expect(frame).toContain("0 for no space of this vault");
    const back = await press(screen, ENTER, /Notes \(1\)/);
    expect(back).toContain("from the ngo");
    const other = await press(screen, "S", 'space "Coalition" (2/2');
    expect(other).toContain("from the coalition");
    screen.unmount();
  });

  it("imports into the other spaces when one is damaged, and names the one left out", async () => {
    const r = root();
    const first = await newVault(r, "pat");
    first.init("NGO", "pat");
    const { vault: broken } = createSpace(first, "Board");
    broken.init("Board", "pat");
    const brokenDir = broken.store.dir;
    broken.close();
    const stick = join(r, "stick");
    mkdirSync(stick);
    const peer = await newVault(r, "nadia");
    first.addMember(peer.joinRequest("nadia").bytes, "editor");
    importBundles(peer, exportBundles(first).map((b) => ({ bytes: b.bytes, source: "t" })));
    peer.write("notes", [{ kind: "set", record: "nadia-1", field: "title", value: "from the ngo" }]);
    await exportTo(peer, { usb: stick });
    peer.close();
    // A crash or a disk error took the space's folder; the index still lists it (docs/spaces.md, "A damaged space").
    rmSync(brokenDir, { recursive: true, force: true });
    const home = first.store.dir;
    first.close();

    const screen = render(<App home={home} kdf="test-insecure" passphrase={passphraseBytes(TEST_PASSPHRASE)} />);
    await until(screen, 'space "NGO" (1/2');
    await press(screen, "i", "Import bundles");
    await press(screen, stick, stick);
    const frame = await press(screen, ENTER, /Imported from .* into "NGO"/);
    expect(frame).toMatch(/Space "Board" left out \(damaged: VAULT_NOT_FOUND\)/);
    expect(frame).toMatch(/Not imported into "Board": damaged/);
    const back = await press(screen, ENTER, /Notes \(1\)/);
    expect(back).toContain("from the ngo");
    screen.unmount();
  });

  it("refuses to admit a join request whose keys are already in another space (SPACE_LINKED), as the CLI does", async () => {
    const r = root();
    const first = await newVault(r, "pat");
    first.init("NGO", "pat");
    // Nadia's laptop is in the NGO's team; its request is then brought to the Coalition space.
    const nadia = await newVault(r, "nadia");
    const request = nadia.joinRequest("nadia").bytes;
    nadia.close();
    first.addMember(request, "editor");
    const file = join(r, "nadia.airlock-join");
    writeFileSync(file, request);
    const { vault: second } = createSpace(first, "Coalition");
    second.init("Coalition", "pat");
    second.close();
    useSpace(first, findSpace(first, "Coalition"));
    const home = first.store.dir;
    first.close();

    const screen = render(<App home={home} kdf="test-insecure" passphrase={passphraseBytes(TEST_PASSPHRASE)} />);
    await until(screen, 'space "Coalition" (2/2');
    await press(screen, "t", /Team \(1 member/);
    await press(screen, "a", "Admit a person from their join request");
    await press(screen, file, file);
    await press(screen, ENTER, /› Role/);
    // Refused before the fingerprint question: nothing to confirm, nothing signed.
    const frame = await press(screen, ENTER, /already in space "NGO" of this vault/);
    expect(frame).not.toContain('Admit "nadia"');
    expect(frame).toMatch(/Team \(1 member/);
    screen.unmount();
  });
});
