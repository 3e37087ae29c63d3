/**
 * The first-run wizard on real, new vaults in temp folders (test-only KDF): starting a team and
 * asking to join one, the passphrase typed twice with its strength meter and the question a weak
 * one needs, the join request written to a stick folder and shown as QR codes that scan back.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "ink-testing-library";
import { parseFrameHeader } from "@airlock/bundle-format";
import { scanQrPixels } from "@airlock/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { codeLines, terminalToImage } from "../../../../shared/test-support/terminal.js";
import { ENTER, ESC, TAB, press, tuiFixtures, until } from "../../../test-support/tui.js";
import { passphraseBytes } from "../../store/index.js";
import { fingerprint, parseJoinRequest } from "../../vault/request.js";
import { Vault } from "../../vault/vault.js";
import { App } from "../App.js";
import { JoinQr, qrSize } from "../components/JoinQr.js";

const fixtures = tuiFixtures("airlock-tui-setup-");
afterEach(() => {
  vi.unstubAllEnvs();
});

const STRONG = "quartz lantern ferry mosaic 1987 violet";

describe("the first-run wizard", () => {
  it("starts a team: names checked in the form, a weak passphrase questioned, the two entries compared", async () => {
    const home = join(fixtures.root(), "vault");
    const screen = render(<App home={home} kdf="test-insecure" />);
    await until(screen, "No vault at");
    await press(screen, "c", "Start a team");
    // An empty team name is refused under its field, and the form stays.
    await press(screen, ENTER, /› Your name/);
    let frame = await press(screen, ENTER, "error: a team needs a name");
    expect(frame).toMatch(/› Team name/);
    await press(screen, "Newsroom", "Newsroom");
    await press(screen, TAB, /› Your name/);
    await press(screen, "sam", /Your name\s*: sam/);
    await press(screen, ENTER, "A passphrase for this vault");
    await press(screen, "a", "*");
    frame = await until(screen, /strength: \[#\.+\] (very )?weak/);
    await press(screen, ENTER, "This passphrase is weak");
    frame = await press(screen, "n", "choose another passphrase");
    await press(screen, STRONG, "*".repeat(STRONG.length));
    frame = await until(screen, /strength: \[#+\.*\] (strong|good)/);
    await press(screen, ENTER, "The same passphrase again");
    await press(screen, "something else", "*");
    await press(screen, ENTER, "the two passphrases differ");
    await press(screen, STRONG, "*".repeat(STRONG.length));
    await press(screen, ENTER, "The same passphrase again");
    await press(screen, STRONG, "*".repeat(STRONG.length));
    frame = await press(screen, ENTER, 'team "Newsroom"');
    expect(frame).toContain("sam");
    expect(screen.frames.join("\n")).not.toContain(STRONG);
    screen.unmount();
    const v = await Vault.open(home, passphraseBytes(STRONG), { kdf: "test-insecure" });
    fixtures.keep(v);
    expect(v.state().name).toBe("Newsroom");
  });

  it("asks to join: the request goes to the stick folder it offers, with the fingerprint on screen", async () => {
    const r = fixtures.root();
    const stick = join(r, "media", "STICK");
    mkdirSync(stick, { recursive: true });
    vi.stubEnv("AIRLOCK_USB_ROOTS", join(r, "media"));
    const home = join(r, "vault");
    const screen = render(<App home={home} kdf="test-insecure" />);
    await until(screen, "No vault at");
    await press(screen, "j", "Join a team");
    await press(screen, "dana", /Your name\s*: dana/);
    await press(screen, ENTER, "A passphrase for this vault");
    await press(screen, "a", "*");
    await press(screen, ENTER, "This passphrase is weak");
    await press(screen, "y", "The same passphrase again");
    await press(screen, "a", "*");
    let frame = await press(screen, ENTER, "Join request for dana");
    // 80x24 has no room for a code: it says so rather than draw half of one.
    expect(frame).toMatch(/Enlarge the terminal to at least \d+x\d+/);
    frame = await until(screen, new RegExp(`Folder\\s*: ${stick.replace(/[/.]/g, "\\$&")}`));
    const shown = /Fingerprint: (\S+)/.exec(frame)?.[1];
    frame = await press(screen, ENTER, "Wrote");
    const file = join(stick, "dana.airlock-join");
    expect(frame).toContain(file);
    const request = parseJoinRequest(readFileSync(file));
    expect(request.name).toBe("dana");
    expect(fingerprint(request.device)).toBe(shown);
    await press(screen, ENTER, "not in a team yet (you asked to join as dana)");
    await press(screen, ESC, "not in a team yet");
  });
});

describe("the join request as QR codes", () => {
  it("draws frames that scan back to the request's fountain frames when the terminal has room", async () => {
    const r = fixtures.root();
    const v = await Vault.create(join(r, "v"), passphraseBytes("x"), { kdf: "test-insecure" });
    fixtures.keep(v);
    const request = v.joinRequest("erin");
    const need = qrSize();
    const ui = render(<JoinQr request={request.bytes} room={{ columns: need.columns, rows: need.rows }} />);
    const frame = await until(ui, /frame 1 · an admin films these/);
    const payload = scanQrPixels(terminalToImage(codeLines(frame).join("\n"), 4));
    expect(payload).toBeInstanceOf(Uint8Array);
    const header = parseFrameHeader(payload as Uint8Array, 1 << 20);
    expect(header.messageLength).toBe(request.bytes.length);
    expect(header.index).toBe(0);
    const small = render(<JoinQr request={request.bytes} room={{ columns: need.columns - 1, rows: need.rows }} />);
    await until(small, "Enlarge the terminal");
  });
});
