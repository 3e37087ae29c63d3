/**
 * The form every screen uses, on its own: pastes (bracketed, as a terminal sends them), Enter
 * and Ctrl-S in multi-line fields, errors that keep what was typed, choice fields, limits, and
 * Ctrl-E with a real child process as $EDITOR.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { render } from "ink-testing-library";
import { AirlockError } from "@airlock/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ENTER, ESC, press, TAB, until } from "../../../test-support/tui.js";
import { onField } from "../messages.js";
import { Form, type FieldSpec } from "./Form.js";

const PASTE = (text: string): string => `\x1b[200~${text}\x1b[201~`;
const CTRL_S = "\x13";
const CTRL_E = "\x05";
const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";

const NOTE: readonly FieldSpec[] = [
  { name: "title", label: "Title" },
  { name: "body", label: "Body", multiline: true, maxLength: 200 },
  { name: "tags", label: "Tags" },
];

const dirs: string[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function form(fields: readonly FieldSpec[], onSubmit: (v: Record<string, string>) => void = () => undefined) {
  const submitted: Record<string, string>[] = [];
  const cancelled: true[] = [];
  const ui = render(
    <Form
      title="Test form"
      fields={fields}
      onSubmit={(v) => {
        onSubmit(v);
        submitted.push(v);
      }}
      onCancel={() => cancelled.push(true)}
    />,
  );
  return { ui, submitted, cancelled };
}

describe("the form", () => {
  it("keeps the field's text when $EDITOR fails", async () => {
    vi.stubEnv("VISUAL", "");
    vi.stubEnv("EDITOR", "/bin/false");
    const { ui } = form(NOTE);
    await until(ui, "› Title");
    await press(ui, TAB, /› Body/);
    await press(ui, "kept", "kept");
    const frame = await press(ui, CTRL_E, /error: the editor \/bin\/false exited with status 1/);
    expect(frame).toContain("kept");
  });

  it("keeps a pasted three-line text wholly in the focused multi-line field: no spill, no submit", async () => {
    const { ui, submitted } = form(NOTE);
    await until(ui, "› Title");
    await press(ui, "Plan", "Plan");
    await press(ui, TAB, /› Body/);
    await press(ui, PASTE("line one\rline two\rline three"), "line three");
    expect(submitted).toEqual([]);
    const frame = ui.lastFrame()!;
    expect(frame).toMatch(/› Body/);
    expect(frame).toContain("line one");
    expect(frame).toContain("line two");
    // Enter in the body is a new line, not the next field.
    await press(ui, ENTER, "29/200");
    await press(ui, "four", "four");
    expect(ui.lastFrame()).toMatch(/› Body/);
    expect(ui.lastFrame()).toContain("ctrl-s saves");
    await press(ui, CTRL_S, "Test form");
    await vi.waitFor(() => expect(submitted).toHaveLength(1));
    expect(submitted[0]).toEqual({ title: "Plan", body: "line one\nline two\nline three\nfour", tags: "" });
  });

  it("joins a pasted multi-line text into a one-line field and stays on it", async () => {
    const { ui, submitted } = form(NOTE);
    await until(ui, "› Title");
    await press(ui, PASTE("alpha\r\nbeta\rgamma\r"), "alpha beta gamma");
    expect(ui.lastFrame()).toMatch(/› Title\s*: alpha beta gamma/);
    expect(submitted).toEqual([]);
  });

  it("does not obey keys smuggled after an end-of-paste marker inside the pasted text", async () => {
    // A page can carry ESC[201~ in its text: without the guard the rest of the paste would be
    // keys, here Enter (submit), Ctrl-S (save) and Esc (cancel).
    const { ui, submitted, cancelled } = form(NOTE);
    await until(ui, "› Title");
    await press(ui, TAB, /› Body/);
    await press(ui, PASTE("visible\x1b[201~\r" + CTRL_S + "tail") + ESC, "tail");
    await press(ui, "!", "tail!");
    expect(submitted).toEqual([]);
    expect(cancelled).toEqual([]);
    expect(ui.lastFrame()).toContain("visible");
    expect(ui.lastFrame()).toMatch(/› Body/);
  });

  it("cuts a paste at the field's limit and says so", async () => {
    const { ui } = form(NOTE);
    await until(ui, "› Title");
    await press(ui, TAB, /› Body/);
    const frame = await press(ui, PASTE("x".repeat(250)), "at most 200 characters: 50 were left out");
    expect(frame).toContain("200/200");
  });

  it("shows an error under the field it names and keeps everything typed, then saves once fixed", async () => {
    const { ui, submitted } = form(NOTE, (v) => {
      if (v["title"]!.trim() === "") throw onField("title", new AirlockError("VAULT_BAD_ARGUMENT", "a note needs a title", { hint: "type one" }));
    });
    await until(ui, "› Title");
    await press(ui, TAB, /› Body/);
    await press(ui, PASTE("kept body\rsecond"), "second");
    await press(ui, TAB, /› Tags/);
    await press(ui, "ops", "ops");
    let frame = await press(ui, ENTER, "error: a note needs a title — hint: type one");
    const lines = frame.split("\n");
    expect(lines.findIndex((l) => l.includes("error: a note needs"))).toBe(lines.findIndex((l) => l.includes("Title")) + 1);
    expect(frame).toMatch(/› Title/);
    expect(frame).toContain("kept body");
    expect(frame).toMatch(/Tags\s*: ops/);
    frame = await press(ui, "Fixed", /› Title\s*: Fixed/);
    expect(frame).not.toContain("error:");
    await press(ui, CTRL_S, "Test form");
    await vi.waitFor(() => expect(submitted).toEqual([{ title: "Fixed", body: "kept body\nsecond", tags: "ops" }]));
  });

  it("shows an error that names no field under the fields, and esc still cancels", async () => {
    const { ui, cancelled } = form([{ name: "a", label: "A" }], () => {
      throw new AirlockError("VAULT_NOT_ALLOWED", "refused by the vault");
    });
    await until(ui, "› A");
    await press(ui, "typed", "typed");
    const frame = await press(ui, ENTER, "error: refused by the vault");
    expect(frame).toMatch(/A\s*: typed/);
    ui.stdin.write(ESC);
    await vi.waitFor(() => expect(cancelled).toHaveLength(1));
  });

  it("chooses with ←/→ and by typing in a choice field", async () => {
    const roles = ["viewer", "editor", "admin", "owner"].map((value) => ({ value }));
    const { ui, submitted } = form([{ name: "role", label: "Role", initial: "editor", choices: roles }]);
    await until(ui, /› Role\s*: +editor/);
    await press(ui, RIGHT, /› Role\s*: +admin/);
    await press(ui, LEFT + LEFT, /› Role\s*: +viewer/);
    await press(ui, LEFT, /› Role\s*: +owner/);
    await press(ui, "e", /› Role\s*: +editor .*\(filter: e\)/);
    await press(ui, "\x7f", /› Role\s*: +editor/);
    await press(ui, "adm", /› Role\s*: +admin/);
    await press(ui, ENTER, "Role");
    await vi.waitFor(() => expect(submitted).toEqual([{ role: "admin" }]));
  });

  it("opens the focused multi-line field in $EDITOR (a real child process) and takes back what it saved", async () => {
    const home = mkdtempSync(join(tmpdir(), "airlock-form-editor-"));
    dirs.push(home);
    const runtime = join(home, "runtime");
    mkdirSync(runtime, { mode: 0o700 });
    // Where editText makes its private folder (the per-user runtime dir, in memory on a desktop).
    vi.stubEnv("XDG_RUNTIME_DIR", runtime);
    const editor = join(home, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\ngrep -q 'typed first' "$1" && printf 'typed first\\nwritten in the editor\\n' > "$1"\n`);
    chmodSync(editor, 0o755);
    vi.stubEnv("VISUAL", "");
    vi.stubEnv("EDITOR", editor);
    const submitted: Record<string, string>[] = [];
    const ui = render(<Form title="Test form" fields={NOTE} onSubmit={(v) => void submitted.push(v)} onCancel={() => undefined} />);
    await until(ui, "› Title");
    await press(ui, "T", /Title\s*: T/);
    await press(ui, TAB, /› Body/);
    await press(ui, "typed first", "typed first");
    await press(ui, CTRL_E, "written in the editor");
    // The text file and its folder were wiped and removed.
    expect(readdirSync(runtime)).toEqual([]);
    await press(ui, CTRL_S, "Test form");
    await vi.waitFor(() => expect(submitted).toEqual([{ title: "T", body: "typed first\nwritten in the editor", tags: "" }]));
  });
});
