/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { Target } from "../target.js";
import { bundleOpen, cbor, payload } from "./bundle.js";
import { enrollment, httpMailbox } from "./courier.js";
import { qrBase45, qrFrames } from "./frames.js";
import { image } from "./images.js";
import { usbName } from "./usb.js";
import { changeset, changesetOps, grant, joinRequestTarget, teamEntry } from "./vault.js";

export const TARGETS: readonly Target[] = [
  bundleOpen,
  payload,
  cbor,
  qrFrames,
  qrBase45,
  teamEntry,
  changeset,
  changesetOps,
  joinRequestTarget,
  grant,
  enrollment,
  image,
  usbName,
  httpMailbox,
];

export function targetNamed(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no fuzz target "${name}"; targets: ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}
