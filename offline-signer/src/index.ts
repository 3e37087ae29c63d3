/** @airlock/offline-signer: the vault. Today: the self-check behind `airlock`. */
export { runSelfCheck, type SelfCheckStep } from "./self-check.js";
