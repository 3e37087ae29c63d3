/**
 * The IMAGE_* errors, in one place so each code keeps one meaning and one hint. Scripts match
 * on these codes, so never rename one:
 * - IMAGE_NOT_FOUND, IMAGE_NOT_A_FILE (a folder, link, pipe, socket or device), IMAGE_UNREADABLE;
 * - IMAGE_UNSUPPORTED: a real image in a form we do not decode (GIF, interlaced PNG, lossless JPEG);
 * - IMAGE_CORRUPT: the file breaks its own format (truncated, bad CRC, a second header, data
 *   that inflates past the size its header declares);
 * - IMAGE_TOO_LARGE: well-formed, but beyond a file-size, pixel or decoding-memory limit.
 */
import { AirlockError } from "../errors.js";

export function imageCorrupt(name: string, what: string, cause?: unknown): AirlockError {
  return new AirlockError("IMAGE_CORRUPT", `${name} is not a readable image: ${what}`, {
    hint: "The file may be truncated, damaged or not an image; take or export the picture again.",
    cause,
  });
}

export function imageUnsupported(name: string, what: string, hint: string): AirlockError {
  return new AirlockError("IMAGE_UNSUPPORTED", `${name} ${what}`, { hint });
}

export function imageTooLarge(message: string): AirlockError {
  return new AirlockError("IMAGE_TOO_LARGE", message, {
    hint: "Use a smaller photo or screenshot (a 1280×720 or 1920×1080 frame is plenty for a QR code).",
  });
}

export function imageNotAFile(path: string, what: string): AirlockError {
  return new AirlockError("IMAGE_NOT_A_FILE", `${path} is ${what}`, {
    hint: "Point at the image file itself; links, folders, pipes and devices are never read as images.",
  });
}

export function imageNotFound(path: string): AirlockError {
  return new AirlockError("IMAGE_NOT_FOUND", `${path} does not exist`, { hint: "Check the path." });
}

export function imageUnreadable(path: string, what: string): AirlockError {
  return new AirlockError("IMAGE_UNREADABLE", `${path} ${what}`, {
    hint: "Check the file's permissions, and that nothing is writing to it while it is read.",
  });
}
