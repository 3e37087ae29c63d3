/** Paper recovery cards (card-png.ts): the page decodes as a PNG, its QR code gives the share back from the pixels, and every printed character has a glyph. */
import { describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { decodeImage, scanQrPixels } from "@airlock/shared";
import { PAGE_HEIGHT, PAGE_WIDTH, cardText, renderCard } from "./card-png.js";
import { SET_ID_BYTES, SHARE_BYTES, checkCode, encodePiece, parsePiece, setLabel } from "./codec.js";
import { hasGlyph } from "./font.js";

describe("paper recovery cards", () => {
  it("a printable page whose QR code reads back as the share, with every character of its text drawn", () => {
    const piece = { team: randomBytes(32), set: randomBytes(SET_ID_BYTES), share: randomBytes(SHARE_BYTES) };
    const info = { index: 2, printed: 2, threshold: 3, total: 16, set: setLabel(piece.set), check: checkCode(piece.set, piece.share) };
    const image = decodeImage(renderCard(encodePiece(piece), info), "card.png");
    expect([image.width, image.height]).toEqual([PAGE_WIDTH, PAGE_HEIGHT]);
    const read = scanQrPixels(image);
    expect(read).toBeInstanceOf(Uint8Array);
    expect(parsePiece(read as Uint8Array)).toEqual(piece);
    const printed = [...cardText(info), `CHECK CODE ${info.check}`, `SET ${info.set}`].join(" ");
    expect([...printed].filter((c) => !hasGlyph(c))).toEqual([]);
  });
});
