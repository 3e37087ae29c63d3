/**
 * The one error type every bundle-format parser and opener throws for bad *input*.
 *
 * Caller mistakes (a key of the wrong length, a negative size) are programming errors and
 * throw TypeError / RangeError from the boundary asserts instead, so a BundleError always
 * means "the bytes you were handed are not an acceptable bundle" and is safe to show a user.
 */

/** Stable codes: scripts, tests and the CLIs match on these, so never rename one. */
export const BUNDLE_ERROR_CODES = [
  "BUNDLE_TRUNCATED",
  "BUNDLE_MALFORMED",
  "BUNDLE_VERSION",
  "BUNDLE_TOO_LARGE",
  "BUNDLE_NOT_FOR_ME",
  "BUNDLE_AUTH",
  "BUNDLE_KIND",
] as const;

export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number];

/** What a non-expert should try next, per code. Shown by the CLIs as `hint:`. */
const HINTS: Record<BundleErrorCode, string> = {
  BUNDLE_TRUNCATED:
    "the file or transfer stopped early; copy it again, or keep scanning until the QR transfer completes",
  BUNDLE_MALFORMED: "this is not a bundle Airlock can read, or it was damaged; ask the sender to export it again",
  BUNDLE_VERSION: "the bundle was made by a different Airlock release; update Airlock on both machines",
  BUNDLE_TOO_LARGE: "the bundle is larger than this reader allows; raise the limit only if you trust where it came from",
  BUNDLE_NOT_FOR_ME:
    "the bundle is for other devices (another team, or sealed before this device joined), or it was damaged in transit",
  BUNDLE_AUTH: "the bundle was altered or corrupted after it was sealed; discard it and ask for a fresh export",
  BUNDLE_KIND: "the bundle carries something this Airlock release does not understand; update Airlock",
};

export class BundleError extends Error {
  override readonly name = "BundleError";
  readonly code: BundleErrorCode;
  readonly hint: string;

  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.hint = HINTS[code];
  }
}

export function isBundleError(e: unknown, code?: BundleErrorCode): e is BundleError {
  return e instanceof BundleError && (code === undefined || e.code === code);
}
