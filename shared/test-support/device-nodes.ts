/** Device nodes for the USB reader's tests (a `/dev/null` twin, a loop block device, a driverless misc device). */
import { execFileSync } from "node:child_process";

/** Makes a device node with mknod(1); false where this user may not (not root, or no mknod). */
export function mknod(path: string, type: "b" | "c", major: number, minor: number): boolean {
  try {
    execFileSync("mknod", [path, type, String(major), String(minor)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
