/**
 * The clipboard with real parts: OSC 52 is written to a real pseudo-terminal made by `script`
 * (util-linux) and read back from its output; xclip and xsel run against a real X server
 * (Xvfb). The clearer is the real detached child; tests wait for its exit, never for a time.
 * copySecret runs from the compiled module, where its clearer script exists (npm test builds
 * first; this file rebuilds if the build is stale).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isAirlockError } from "@airlock/shared";
import { osc52Sequence, terminalWrap } from "./clipboard.js";
import { findOnPath } from "./which.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..", "..");
const DIST = join(root, "offline-signer", "dist", "src", "cli", "clipboard.js");
type Clipboard = typeof import("./clipboard.js");

beforeAll(() => {
  const stale = ["clipboard.ts", "clipboard-clear.ts", "which.ts"].some((f) => {
    const out = join(root, "offline-signer", "dist", "src", "cli", f.replace(/\.ts$/, ".js"));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(here, f)).mtimeMs;
  });
  if (stale) spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", join(root, "offline-signer")], { stdio: "inherit" });
});

const made: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "airlock-clipboard-"));
  made.push(d);
  return d;
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ESC = "\x1b";
const BEL = "\x07";
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

describe("the OSC 52 sequence", () => {
  it("is ESC ] 52 ; c ; base64 BEL, wrapped for tmux and screen", () => {
    expect(osc52Sequence("pässword", "none").toString("latin1")).toBe(`${ESC}]52;c;${b64("pässword")}${BEL}`);
    expect(osc52Sequence("", "none").toString("latin1")).toBe(`${ESC}]52;c;${BEL}`);
    expect(osc52Sequence("pw", "tmux").toString("latin1")).toBe(`${ESC}Ptmux;${ESC}${ESC}]52;c;${b64("pw")}${BEL}${ESC}\\`);
    expect(osc52Sequence("pw", "screen").toString("latin1")).toBe(`${ESC}P${ESC}]52;c;${b64("pw")}${BEL}${ESC}\\`);
  });

  it("is cut into short DCS strings for screen", () => {
    const long = "x".repeat(300);
    const seq = osc52Sequence(long, "screen").toString("latin1");
    const parts = seq.split(`${ESC}\\`).filter((p) => p !== "");
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.startsWith(`${ESC}P`)).toBe(true);
      expect(p.length).toBeLessThanOrEqual(2 + 76);
    }
    expect(parts.map((p) => p.slice(2)).join("")).toBe(`${ESC}]52;c;${b64(long)}${BEL}`);
  });

  it("knows tmux from screen", () => {
    expect(terminalWrap({ TMUX: "/tmp/tmux-0/default,1,0", TERM: "screen-256color" })).toBe("tmux");
    expect(terminalWrap({ STY: "1234.pts-0.host", TERM: "screen" })).toBe("screen");
    expect(terminalWrap({ TERM: "screen.xterm-256color" })).toBe("screen");
    expect(terminalWrap({ TERM: "xterm-256color" })).toBe("none");
  });
});

interface Run {
  readonly status: number | null;
  readonly output: string;
}

/**
 * Runs `node child.mjs` (which copies, then waits for the clearer) as the last argument of
 * `outer` (e.g. `script -q -e -c`), behind `inner` (e.g. `setsid -w`), collecting all it wrote.
 */
function runChild(outer: string[], childSource: string, inner: string[] = []): Promise<Run> {
  const dir = tempDir();
  const file = join(dir, "child.mjs");
  writeFileSync(file, childSource);
  return new Promise((resolve, reject) => {
    // `script` keeps a transcript in ./typescript unless it is given a file: /dev/null.
    const args = [...outer.slice(1), [...inner, process.execPath, file].join(" "), ...(outer[0] === "script" ? ["/dev/null"] : [])];
    const child = spawn(outer[0]!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("latin1")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("latin1")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** A child that copies `secret` with the given options, then prints the method and the clearer's outcome. */
function copier(secret: string, options: string): string {
  return `import { copySecret } from ${JSON.stringify(DIST)};
try {
  const r = await copySecret(${JSON.stringify(secret)}, ${options});
  process.stdout.write("\\n[method=" + r.method + "]\\n");
  const keepAlive = setInterval(() => {}, 1 << 30);
  const outcome = await r.cleared;
  clearInterval(keepAlive);
  process.stdout.write("\\n[outcome=" + outcome + "]\\n");
} catch (e) {
  process.stdout.write("[error=" + e.code + "][hint=" + e.hint + "][message=" + e.message + "]");
}
`;
}

/** Only PATH: no display, no multiplexer, whatever the test runner had. */
const bareEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
const SCRIPT = findOnPath("script", process.env);
const SETSID = findOnPath("setsid", process.env);

describe.skipIf(SCRIPT === undefined || SETSID === undefined)("OSC 52 on a real pseudo-terminal (util-linux script)", () => {
  // `script -q -c CMD /dev/null` runs CMD on a new pty whose output it copies to its stdout.
  const onPty = ["script", "-q", "-e", "-c"];
  const options = (env: Record<string, string>): string => `{ clearAfterMs: 20, env: ${JSON.stringify({ ...bareEnv, ...env })} }`;

  it("sets the clipboard through /dev/tty, then the clearer empties it on the same terminal", async () => {
    const secret = `pässword-${randomUUID()}`;
    const r = await runChild(onPty, copier(secret, options({})));
    const set = r.output.indexOf(`${ESC}]52;c;${b64(secret)}${BEL}`);
    const clear = r.output.indexOf(`${ESC}]52;c;${BEL}`);
    expect(set, r.output).toBeGreaterThanOrEqual(0);
    expect(clear).toBeGreaterThan(set);
    expect(r.output).toContain("[method=osc52]");
    expect(r.output.indexOf("[outcome=cleared]")).toBeGreaterThan(clear);
    // The secret itself never reaches the terminal, only its base64 inside the sequence.
    expect(r.output).not.toContain(secret);
  });

  it("wraps both sequences for tmux", async () => {
    const r = await runChild(onPty, copier("pw", options({ TMUX: "/tmp/tmux-0/default,1,0" })));
    const set = r.output.indexOf(`${ESC}Ptmux;${ESC}${ESC}]52;c;${b64("pw")}${BEL}${ESC}\\`);
    expect(set, r.output).toBeGreaterThanOrEqual(0);
    expect(r.output.indexOf(`${ESC}Ptmux;${ESC}${ESC}]52;c;${BEL}${ESC}\\`)).toBeGreaterThan(set);
    expect(r.output).toContain("[outcome=cleared]");
  });

  it("uses standard output when it is a terminal but not the controlling one (setsid)", async () => {
    const r = await runChild(onPty, copier("pw", options({})), ["setsid", "-w"]);
    const set = r.output.indexOf(`${ESC}]52;c;${b64("pw")}${BEL}`);
    expect(set, r.output).toBeGreaterThanOrEqual(0);
    expect(r.output.indexOf(`${ESC}]52;c;${BEL}`)).toBeGreaterThan(set);
    expect(r.output).toContain("[outcome=cleared]");
  });

  it("with no terminal and no display, refuses with CLIPBOARD_UNAVAILABLE and points at --reveal", async () => {
    const r = await runChild(["setsid", "-w", "sh", "-c"], copier("pw", options({})));
    expect(r.output).toContain("[error=CLIPBOARD_UNAVAILABLE]");
    expect(r.output).toContain("--reveal");
    expect(r.output).not.toContain("52;c;");
  });
});

// ---------------------------------------------------------------------------------------------
// X11

const XVFB = findOnPath("Xvfb", process.env);
const XCLIP = findOnPath("xclip", process.env);
const XSEL = findOnPath("xsel", process.env);
const missingX = [XVFB === undefined ? "xvfb" : "", XCLIP === undefined ? "xclip" : "", XSEL === undefined ? "xsel" : ""].filter((p) => p !== "");
if (missingX.length > 0) console.warn(`clipboard.test: X11 clipboard tests skipped; install the Debian packages: ${missingX.join(" ")}`);

/** A real X server on a free display, ready when it writes the display number to the given fd. */
async function startXvfb(): Promise<{ display: string; stop: () => Promise<void> }> {
  const child = spawn(XVFB!, ["-displayfd", "3", "-nolisten", "tcp"], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let got = "";
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => {
      got += d.toString();
      if (got.includes("\n")) resolve(`:${got.trim()}`);
    });
    child.on("exit", (code) => reject(new Error(`Xvfb exited (${code}): ${log}`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    display,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function paste(tool: "xclip" | "xsel", display: string): string | undefined {
  const argv = tool === "xclip" ? [XCLIP!, "-selection", "clipboard", "-o"] : [XSEL!, "--clipboard", "--output"];
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...bareEnv, DISPLAY: display }, encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? r.stdout : undefined;
}

function setClipboard(text: string, display: string): void {
  // The test's own copy of something else: input on a pipe, as a user's copy would be.
  const r = spawnSync(XCLIP!, ["-selection", "clipboard"], { input: text, env: { ...bareEnv, DISPLAY: display }, stdio: ["pipe", "ignore", "inherit"], timeout: 10_000 });
  expect(r.status).toBe(0);
}

/** Every process whose argv or environment holds one of the needles (as root: all of them). */
function processesHolding(needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    for (const part of ["cmdline", "environ"]) {
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/${part}`).toString("utf8");
      } catch {
        continue; // gone, or not ours to read
      }
      if (needles.some((n) => text.includes(n))) found.push(`${pid} ${part}: ${text.replaceAll("\0", " ").slice(0, 200)}`);
    }
  }
  return found;
}

describe.skipIf(missingX.length > 0)("X11 clipboard on a real X server (Xvfb)", () => {
  let x: { display: string; stop: () => Promise<void> };
  let clip: Clipboard;
  beforeAll(async () => {
    x = await startXvfb();
    clip = (await import(DIST)) as Clipboard;
  });
  afterAll(async () => {
    await x?.stop();
  });

  it("copies with xclip, and clears what it copied", async () => {
    const secret = `pässwörd ${randomUUID()} with spaces`;
    const r = await clip.copySecret(secret, { clearAfterMs: 10, env: { ...bareEnv, DISPLAY: x.display } });
    expect(r.method).toBe("xclip");
    expect(await r.cleared).toBe("cleared");
    expect(paste("xclip", x.display)).toBe("");
  });

  it("holds the secret on the clipboard until the clear, and never on any argv or environment", async () => {
    const secret = `correct horse ${randomUUID()}`;
    const needles = [secret, createHash("sha256").update(secret).digest("hex"), b64(secret)];
    // Long enough to look at the clipboard and every process while the clearer waits.
    const r = await clip.copySecret(secret, { clearAfterMs: 1500, env: { ...bareEnv, DISPLAY: x.display } });
    expect(paste("xclip", x.display)).toBe(secret);
    expect(processesHolding(["clipboard-clear.js"]).length).toBeGreaterThan(0); // the clearer is among those looked at
    expect(processesHolding(needles)).toEqual([]);
    expect(await r.cleared).toBe("cleared");
    expect(paste("xclip", x.display)).toBe("");
  });

  it("leaves the clipboard alone when the user copied something else meanwhile", async () => {
    const r = await clip.copySecret("old secret", { clearAfterMs: 2000, env: { ...bareEnv, DISPLAY: x.display } });
    setClipboard("the user's own text", x.display);
    expect(await r.cleared).toBe("changed");
    expect(paste("xclip", x.display)).toBe("the user's own text");
  });

  it("uses xsel when it is the only X11 tool", async () => {
    const bin = tempDir();
    symlinkSync(XSEL!, join(bin, "xsel"));
    // xsel refuses to start without HOME (it keeps a log of its own, without contents, there).
    const r = await clip.copySecret("via xsel", { clearAfterMs: 10, env: { PATH: bin, HOME: tempDir(), DISPLAY: x.display } });
    expect(r.method).toBe("xsel");
    expect(await r.cleared).toBe("cleared");
    expect(paste("xsel", x.display)).toBe("");
  });

  it("falls back to OSC 52 when the display cannot be opened, saying what failed when there is no terminal either", async () => {
    const broken = { ...bareEnv, DISPLAY: ":999" };
    const r = await runChild(["setsid", "-w", "sh", "-c"], copier("pw", `{ clearAfterMs: 10, env: ${JSON.stringify(broken)} }`));
    expect(r.output).toContain("[error=CLIPBOARD_UNAVAILABLE]");
    expect(r.output).toMatch(/xclip: exit status 1 \(Error: Can't open display/);
    expect(r.output).toMatch(/xsel: exit status 1/);
    const onPty = await runChild(["script", "-q", "-e", "-c"], copier("pw", `{ clearAfterMs: 10, env: ${JSON.stringify(broken)} }`));
    expect(onPty.output).toContain("[method=osc52]");
    expect(onPty.output).toContain("[outcome=cleared]");
  });
});

// ---------------------------------------------------------------------------------------------
// Wayland

const SWAY = findOnPath("sway", process.env);
const SETPRIV = findOnPath("setpriv", process.env);
const WL_COPY = findOnPath("wl-copy", process.env);
const WL_PASTE = findOnPath("wl-paste", process.env);
const missingWayland = [SWAY === undefined ? "sway" : "", WL_COPY === undefined || WL_PASTE === undefined ? "wl-clipboard" : ""].filter((p) => p !== "");
if (missingWayland.length > 0) console.warn(`clipboard.test: Wayland clipboard tests skipped; install the Debian packages: ${missingWayland.join(" ")}`);

/**
 * A real Wayland compositor with no screen and no input (sway on wlroots' headless backend),
 * ready when the `exec` in its config runs. sway refuses to run as root, so as root it runs as nobody.
 */
async function startSway(): Promise<{ env: NodeJS.ProcessEnv; stop: () => Promise<void> }> {
  const runtime = mkdtempSync(join(tmpdir(), "airlock-wayland-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(runtime, 65534, 65534);
  const config = join(runtime, "config");
  writeFileSync(config, 'exec echo "ready $WAYLAND_DISPLAY"\n', { mode: 0o644 });
  const argv = asRoot ? [SETPRIV!, "--reuid=65534", "--regid=65534", "--clear-groups", SWAY!, "-c", config] : [SWAY!, "-c", config];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "pipe", "ignore"],
    env: { PATH: bareEnv.PATH, HOME: runtime, XDG_RUNTIME_DIR: runtime, WLR_BACKENDS: "headless", WLR_LIBINPUT_NO_DEVICES: "1", WLR_RENDERER: "pixman" },
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const display = await new Promise<string>((resolve, reject) => {
    let got = "";
    child.stdout.on("data", (d: Buffer) => {
      got += d.toString();
      const m = /ready (\S+)\n/.exec(got);
      if (m !== null) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error("sway exited before it was ready")));
  });
  return {
    env: { PATH: bareEnv.PATH, WAYLAND_DISPLAY: display, XDG_RUNTIME_DIR: runtime },
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      rmSync(runtime, { recursive: true, force: true });
    },
  };
}

describe.skipIf(missingWayland.length > 0 || (process.getuid?.() === 0 && SETPRIV === undefined))("Wayland clipboard on a real compositor (headless sway)", () => {
  let wl: { env: NodeJS.ProcessEnv; stop: () => Promise<void> };
  let clip: Clipboard;
  beforeAll(async () => {
    wl = await startSway();
    clip = (await import(DIST)) as Clipboard;
  });
  afterAll(async () => {
    await wl?.stop();
  });

  const wlPaste = (): string | undefined => {
    const r = spawnSync(WL_PASTE!, ["--no-newline"], { env: wl.env, encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? r.stdout : undefined;
  };

  it("copies with wl-copy, and clears what it copied", async () => {
    const secret = `wäyland ${randomUUID()}`;
    const r = await clip.copySecret(secret, { clearAfterMs: 1500, env: { ...wl.env, DISPLAY: ":999" } });
    expect(r.method).toBe("wl-copy");
    expect(wlPaste()).toBe(secret);
    expect(await r.cleared).toBe("cleared");
    expect(wlPaste()).toBeUndefined(); // "No selection"
  });

  it("leaves the clipboard alone when the user copied something else meanwhile", async () => {
    const r = await clip.copySecret("old secret", { clearAfterMs: 2000, env: wl.env });
    expect(spawnSync(WL_COPY!, [], { input: "the user's own text", env: wl.env, stdio: ["pipe", "ignore", "inherit"], timeout: 10_000 }).status).toBe(0);
    expect(await r.cleared).toBe("changed");
    expect(wlPaste()).toBe("the user's own text");
  });
});

describe("copySecret arguments", () => {
  it("refuses a clear delay that is not a whole number of milliseconds within a day", async () => {
    const clip = (await import(DIST)) as Clipboard;
    for (const bad of [-1, 1.5, Number.NaN, 25 * 3600 * 1000]) {
      await expect(clip.copySecret("x", { clearAfterMs: bad, env: bareEnv })).rejects.toThrow(RangeError);
    }
  });

  it("gives a typed error from the TypeScript sources, where the clearer is not built", async () => {
    const { copySecret } = await import("./clipboard.js");
    const e = await copySecret("x", { env: bareEnv }).catch((err: unknown) => err);
    expect(isAirlockError(e, "CLIPBOARD_UNAVAILABLE")).toBe(true);
  });
});

