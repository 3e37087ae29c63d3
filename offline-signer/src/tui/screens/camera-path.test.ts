import { describe, expect, it } from "vitest";
import { DEFAULT_CAMERA } from "@airlock/shared";
import { cameraOf } from "./CameraReceive.js";

describe("the TUI import path that names a camera", () => {
  it("is 'camera' or 'camera DEVICE'; any other path is a path", () => {
    const none = (): boolean => false;
    expect(cameraOf("camera", none)).toBe(DEFAULT_CAMERA);
    expect(cameraOf("  camera /dev/video2 ", none)).toBe("/dev/video2");
    expect(cameraOf("/media/stick", none)).toBeUndefined();
    expect(cameraOf("cameras", none)).toBeUndefined();
  });

  it("is a folder when one named 'camera' is there to import from", () => {
    expect(cameraOf("camera", (p) => p === "camera")).toBeUndefined();
    // A device named explicitly is always the camera.
    expect(cameraOf("camera /dev/video0", (p) => p === "camera")).toBe("/dev/video0");
  });
});
