/**
 * The TUI over a vault with two spaces (docs/spaces.md): it opens on the space `spaces use` set,
 * the header names it, `S` goes to the next space with that space's own notes, and switching
 * closes the space left while the first stays open for the next switch.
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { newVault, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { press, tuiFixtures, until } from "../../test-support/tui.js";
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
});
