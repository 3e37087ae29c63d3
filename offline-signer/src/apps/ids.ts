import { randomBytes } from "node:crypto";

/** A fresh record id: 64 random bits in hex, so two offline laptops never pick the same one. */
export function newRecordId(): string {
  return randomBytes(8).toString("hex");
}
