// uuid-v7.js: a time-ordered request_id, UUID version 7 (RFC 9562, section 5.7): the Unix time in milliseconds
// (48 bits), the version, 74 bits from crypto.getRandomValues, the variant.  Ids made one after another sort one
// after another, so a claim's insert lands at the right edge of the request_id index instead of on a random page
// of it; the shim, the CLI and the load generator make the same (src/lib/uuid.hpp).  The database accepts any UUID.
// Browsers have crypto.randomUUID() (version 4) only, hence these few lines.
export function uuidV7(unixMs = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let time = Math.floor(unixMs);
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
