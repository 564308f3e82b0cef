import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
// Random bytes for 256 ids, filled at once: one call into the system's random source per 256 runs instead of one
// `randomBytes` (a new buffer and a call) per run, as `crypto.randomUUID()` caches its entropy.
const pool = Buffer.alloc(ID_BYTES * 256);
let offset = pool.length;

/** A new run id: 128 random bits, base64url (22 characters, URL-safe). */
export function createRunId(): string {
  if (offset + ID_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
