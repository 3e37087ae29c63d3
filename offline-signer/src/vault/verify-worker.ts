/**
 * Worker thread body: prepares the changesets signature-pool.ts hands it (signatures checked,
 * batches opened) beside the main thread's import transaction. One job per worker.
 */
import { parentPort } from "node:worker_threads";
import { runJob, type PrepareJob } from "./signature-pool.js";

parentPort?.once("message", (job: PrepareJob) => runJob(job));
