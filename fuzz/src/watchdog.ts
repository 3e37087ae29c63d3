/**
 * Runs in a worker thread beside a fuzzing child process. The child copies each input into
 * shared memory and bumps a counter before calling the parser; if the counter stops moving
 * while the process burns `hangMs` of CPU (a parser stuck in a loop), or for 12 x `hangMs` of
 * wall time whatever the CPU (blocked for good, as a native deadlock is), this thread saves
 * the stuck input, writes a note for the runner, and kills the process: the runner reports
 * the hang with its reproducer.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { workerData } from "node:worker_threads";
import { HEADER_BYTES, type WatchdogData } from "./watchdog-protocol.js";


const data = workerData as WatchdogData;
const words = new Int32Array(data.shared, 0, 2);
const STALL_FACTOR = 12;
let last = Atomics.load(words, 0);
let since = Date.now();
let cpuSince = process.cpuUsage();

// CPU time, not wall time: a parser stuck in a loop burns CPU, a process starved by a busy
// machine does not, and must not be reported as a hang.
setInterval(() => {
  const now = Atomics.load(words, 0);
  if (now !== last) {
    last = now;
    since = Date.now();
    cpuSince = process.cpuUsage();
    return;
  }
  const cpu = process.cpuUsage(cpuSince);
  const spinning = (cpu.user + cpu.system) / 1000 >= data.hangMs;
  // Blocked without burning CPU (a deadlock in native code) for far longer than any starvation.
  const stuck = Date.now() - since >= STALL_FACTOR * data.hangMs;
  if (now === 0 || !(spinning || stuck)) return;
  const length = Atomics.load(words, 1);
  const input = new Uint8Array(data.shared, HEADER_BYTES, length).slice();
  const hash = createHash("sha256").update(input).digest("hex").slice(0, 16);
  mkdirSync(data.findingsDir, { recursive: true });
  const file = join(data.findingsDir, `${data.target}-${hash}.bin`);
  writeFileSync(file, input);
  writeFileSync(data.notePath, JSON.stringify({ file, hex: Buffer.from(input).toString("hex"), seconds: (Date.now() - since) / 1000, kind: spinning ? "hang" : "stuck" }));
  process.kill(process.pid, "SIGKILL");
}, 500);
