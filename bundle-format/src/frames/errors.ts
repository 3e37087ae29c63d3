/** Typed errors of the QR frame codec, in the style of BundleError. */

export const FRAME_ERROR_CODES = ["FRAME_MALFORMED", "FRAME_VERSION", "FRAME_TOO_LARGE", "FRAME_CHECKSUM", "FRAME_MISMATCH"] as const;
export type FrameErrorCode = (typeof FRAME_ERROR_CODES)[number];

const HINTS: Record<FrameErrorCode, string> = {
  FRAME_MALFORMED: "this QR code is not part of an Airlock transfer, or it was misread; keep scanning",
  FRAME_VERSION: "the sender runs a different Airlock release; update Airlock on both machines",
  FRAME_TOO_LARGE: "the transfer is larger than this receiver accepts; send it on a USB stick instead",
  FRAME_CHECKSUM: "the frames did not add up to the original; restart the transfer",
  FRAME_MISMATCH: "two transfers share an id but disagree; restart the transfer",
};

export class FrameError extends Error {
  override readonly name = "FrameError";
  readonly code: FrameErrorCode;
  readonly hint: string;

  constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.code = code;
    this.hint = HINTS[code];
  }
}
