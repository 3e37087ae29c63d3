/**
 * A weak new passphrase, through the real CLI: warned about when a script gives it, and asked
 * about when a person types it at the prompt, where "no" (the default) creates nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, AIRLOCK_BIN } from "../../test-support/cli.js";
import { findOnPath } from "./which.js";

const root = mkdtempSync(join(tmpdir(), "airlock-weak-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `airlock init` on a real pty (`script`), answering each prompt when it appears on screen. */
function initOnPty(home: string, answers: readonly [RegExp, string][]): Promise<{ status: number | null; screen: string }> {
  const command = `${process.execPath} ${AIRLOCK_BIN} init --team T --name bob`;
  const env = { ...process.env, AIRLOCK_HOME: home, AIRLOCK_INSECURE_TEST_KDF: "1", AIRLOCK_PASSPHRASE: "" };
  const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let screen = "";
  let next = 0;
  let seenUpTo = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
    // Answer each prompt once, in order, as soon as it is on screen.
    while (next < answers.length) {
      const [prompt, answer] = answers[next]!;
      const at = screen.slice(seenUpTo).search(prompt);
      if (at < 0) break;
      seenUpTo += at + 1;
      next++;
      child.stdin.write(answer);
    }
  });
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, screen })));
}

describe("a weak new passphrase", () => {
  it("is warned about, not refused, when a script gives it", () => {
    const home = join(root, "scripted");
    const r = airlock(["init", "--home", home, "--team", "T", "--name", "bob"], { AIRLOCK_PASSPHRASE: "a" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/airlock: warning: weak passphrase \[#\.+\] very weak/);
    expect(r.stderr).toMatch(/airlock: hint: .*four or more random words/);
  });

  it("says nothing about a strong one", () => {
    const r = airlock(["init", "--home", join(root, "strong"), "--team", "T", "--name", "bob"], { AIRLOCK_PASSPHRASE: "vivid otter marble cactus lantern" });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/weak/);
  });

  // util-linux `script` is in every Debian base system; a strict run fails on this skip.
  it.skipIf(findOnPath("script", process.env) === undefined)("typed at the prompt: 'no' (the default) creates nothing, 'y' goes on", async () => {
    const refused = join(root, "refused");
    const no = await initOnPty(refused, [[/New vault passphrase: /, "a\r"], [/Again, to confirm: /, "a\r"], [/Use it anyway\? \[y\/N\] /, "\r"]]);
    expect(no.screen).toMatch(/error: weak passphrase not used/);
    expect(no.status).toBe(1);
    expect(existsSync(refused)).toBe(false);

    const accepted = join(root, "accepted");
    const yes = await initOnPty(accepted, [[/New vault passphrase: /, "a\r"], [/Again, to confirm: /, "a\r"], [/Use it anyway\? \[y\/N\] /, "y\r"]]);
    expect(yes.screen).toMatch(/Created team "T"/);
    expect(yes.status).toBe(0);
  });
});
