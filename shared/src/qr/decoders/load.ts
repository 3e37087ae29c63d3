/**
 * Which decoder scanQrPixels uses, chosen once per process. ZXing (WebAssembly) by default;
 * AIRLOCK_QR_DECODER=zxing|zbar|jsqr (or the `decoder` option) picks another. When the chosen
 * WebAssembly module cannot load (missing or altered file, no WebAssembly in this runtime), the
 * pure-JS jsqr path takes over and the reason is kept, so scanning never depends on a binary.
 *
 * Synchronous callers that never prepare get jsqr, as before; every scanning path in shared
 * (folders, images, videos, cameras) awaits prepareQrDecoder() before its first frame.
 */
import { AirlockError } from "../../errors.js";
import { jsqrDecoder } from "./jsqr.js";
import { QR_DECODER_NAMES, type QrDecoder, type QrDecoderName } from "./types.js";
import { loadZbarDecoder } from "./zbar.js";
import { loadZxingDecoder } from "./zxing.js";

export const DEFAULT_QR_DECODER: QrDecoderName = "zxing";
export const QR_DECODER_ENV = "AIRLOCK_QR_DECODER";

export interface PreparedQrDecoder {
  readonly decoder: QrDecoder;
  /** The decoder asked for (option, environment or default). */
  readonly requested: QrDecoderName;
  /** Why the requested decoder is not the one in use (it failed to load); undefined when it is. */
  readonly fallbackReason?: string;
}

export interface PrepareQrDecoderOptions {
  /** Overrides AIRLOCK_QR_DECODER and the default. */
  readonly decoder?: QrDecoderName;
  /** Where to read zxing's .wasm (default: the installed package's). For tests of the fallback. */
  readonly zxingWasmPath?: string;
}

let prepared: Promise<PreparedQrDecoder> | undefined;
let ready: PreparedQrDecoder | undefined;

/** The decoder name the environment asks for, checked. */
export function requestedQrDecoder(env: NodeJS.ProcessEnv = process.env): QrDecoderName {
  const value = env[QR_DECODER_ENV];
  if (value === undefined || value === "") return DEFAULT_QR_DECODER;
  if (!(QR_DECODER_NAMES as readonly string[]).includes(value)) {
    throw new AirlockError("QR_BAD_DECODER", `${QR_DECODER_ENV} must be one of ${QR_DECODER_NAMES.join(", ")}, got ${JSON.stringify(value.slice(0, 40))}`, {
      hint: `Unset ${QR_DECODER_ENV} to use ${DEFAULT_QR_DECODER}, or set it to jsqr for the pure-JavaScript decoder.`,
    });
  }
  return value as QrDecoderName;
}

/**
 * Loads a decoder. Without options: the process-wide one (loaded once; later calls return the
 * same promise), which scanQrPixels then uses by default. With options: a separate instance,
 * not made the default (tests, the benchmark).
 */
export function prepareQrDecoder(options?: PrepareQrDecoderOptions): Promise<PreparedQrDecoder> {
  if (options !== undefined) return load(options.decoder ?? requestedQrDecoder(), options);
  prepared ??= load(requestedQrDecoder(), {}).then((p) => (ready = p));
  return prepared;
}

/** The process-wide decoder if prepareQrDecoder() has finished, else jsqr. */
export function currentQrDecoder(): QrDecoder {
  return ready?.decoder ?? jsqrDecoder;
}

async function load(requested: QrDecoderName, options: PrepareQrDecoderOptions): Promise<PreparedQrDecoder> {
  if (requested === "jsqr") return { decoder: jsqrDecoder, requested };
  try {
    const decoder = requested === "zxing" ? await loadZxingDecoder(options.zxingWasmPath) : await loadZbarDecoder();
    return { decoder, requested };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { decoder: jsqrDecoder, requested, fallbackReason: `${requested} could not load (${reason}); using jsqr` };
  }
}
