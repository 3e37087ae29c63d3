export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
