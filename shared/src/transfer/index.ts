/** Moving bundles across the air gap as QR codes (docs/qr-frames.md); USB lives in ../usb. */
export { qrTransfer, writeBundleQrFolder, QR_DEFAULT_FPS, type QrTransfer, type QrSendOptions, type QrFolderOptions } from "./qr-send.js";
export { receiveBundles, type ReceivedBundle, type QrReceiveOptions, type QrReceiveStats } from "./qr-receive.js";
export { presetOfFragment, PRESET_ORDER, suggestPreset, type QrRateReport } from "./qr-rate.js";
export { FPS_STEPS } from "../qr/render-html.js";
export { showQrInTerminal, keyActions, type KeyInput, type QrShowOptions, type QrShowResult, type TerminalSink } from "./qr-show.js";
export { fitTerminal, fitsTerminal, stepFrom, terminalFootprint, TERMINAL_STEPS, TERMINAL_MARGIN, type TerminalSize } from "./terminal-fit.js";
