/**
 * The camera flags of the commands that read what another screen shows (import, members add,
 * devices add): `--camera` reads QR frames from a V4L2 camera through ffmpeg, `--device` names
 * it (default /dev/video0). The same shape as `airlock-courier ingest --camera --device`.
 */
import { Flags } from "@oclif/core";
import { DEFAULT_CAMERA } from "@airlock/shared";
import type { CameraSource } from "../vault/transfer.js";

export const CAMERA_FLAGS = {
  camera: Flags.boolean({ description: "read the QR animation from a camera (ffmpeg, V4L2); Ctrl-C stops it", default: false }),
  device: Flags.string({ description: `with --camera: the camera device (default ${DEFAULT_CAMERA})` }),
};

export const COUNT_FLAG = {
  count: Flags.integer({ description: "with --camera: stop after this many bundles (default: until Ctrl-C)", min: 1 }),
};

/**
 * The camera to read, or undefined without --camera. oclif's dependsOn counts a boolean's default
 * as given, so --device and --count without --camera are refused here.
 */
export function cameraSource(flags: { camera: boolean; device?: string | undefined; count?: number | undefined }, usage: (message: string) => never): CameraSource | undefined {
  if (!flags.camera) {
    if (flags.device !== undefined) usage("--device names the camera for --camera: add --camera");
    if (flags.count !== undefined) usage("--count is how many bundles --camera waits for: add --camera");
    return undefined;
  }
  return { device: flags.device ?? DEFAULT_CAMERA, ...(flags.count === undefined ? {} : { count: flags.count }) };
}
