/**
 * Several `airlock` commands in one process, for tests that run the CLI many times where the
 * test is not about the process itself: loading the commands costs about a second a process on a
 * busy machine, the commands themselves a few milliseconds. Each command runs as the bin runs it
 * (oclif `run` and `flush`, a failure reported in the CLI contract's form by the same code), one
 * after another, each opening and closing the vault itself; its stdout, stderr and exit code are
 * kept apart from the others'.
 *
 *   node offline-signer/dist/test-support/cli-batch.js < '[["status", "--home", "H", "--json"], …]'
 *
 * Prints one JSON array, a { status, stdout, stderr } per command, in order. Standard input
 * carries the batch, so no command in it may read standard input (--password-stdin, --body -).
 * `--cli PATH --program NAME` runs another oclif CLI of the project the same way (the end-to-end
 * test gives it airlock-courier's dist/src/cli.js): a path at run time, no import between the apps.
 */
import { flush, run, settings } from "@oclif/core";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { reportCliError } from "@airlock/shared";

settings.enableAutoTranspile = false;

const { values } = parseArgs({ options: { cli: { type: "string" }, program: { type: "string", default: "airlock" } } });
/** Where oclif finds the package and its command table: the bin's own entry point. */
const CLI = values.cli === undefined ? new URL("../src/cli.js", import.meta.url).href : pathToFileURL(values.cli).href;
const PROGRAM = values.program;

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

async function runOne(argv: readonly string[]): Promise<Outcome> {
  const out = { stdout: "", stderr: "" };
  const [stdoutWrite, stderrWrite] = [process.stdout.write, process.stderr.write];
  const capture = (key: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      out[key] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  process.exitCode = 0;
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  try {
    await run([...argv], CLI);
    await flush();
  } catch (e) {
    reportCliError(PROGRAM, e, argv.includes("--json"));
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  const status = typeof process.exitCode === "number" ? process.exitCode : Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { status, ...out };
}

const batch = JSON.parse(readFileSync(0, "utf8")) as unknown;
if (!Array.isArray(batch) || !batch.every((a) => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === "string") && !String(a[0]).startsWith("-"))) {
  throw new Error("cli-batch: standard input must be a JSON array of command lines, each starting with a command");
}
const outcomes: Outcome[] = [];
for (const argv of batch as string[][]) outcomes.push(await runOne(argv));
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
