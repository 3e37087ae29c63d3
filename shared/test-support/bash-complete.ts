/** Drives a bash completion script as bash does on TAB: the script sourced in a child bash, its function run with COMP_WORDS/COMP_CWORD set. */
import { spawnSync } from "node:child_process";

/** What bash offers after `line` (the last word is the one under the cursor; "" for a fresh word), in the order offered. */
export function bashComplete(script: string, fn: string, line: readonly string[]): string[] {
  const words = line.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ");
  const program = `source /dev/stdin <<'AIRLOCK_COMPLETION'\n${script}AIRLOCK_COMPLETION\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["--norc", "--noprofile", "-c", program], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0 || r.stderr !== "") throw new Error(`bash failed (${r.status}): ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** Whether `shell` runs here (zsh and fish are optional: their scripts are then checked as text only). */
export function hasShell(shell: string): boolean {
  return spawnSync(shell, ["-c", "exit 0"], { stdio: "ignore" }).status === 0;
}
