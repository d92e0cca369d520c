/** Randomness of the demo server: unguessable tokens (fault injection uses src/util/random.ts). */

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Moodle's random_string(): letters and digits from a CSPRNG. */
export function randomString(length: number, alphabet = ALNUM): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** A PHP-style session id (lower-case letters and digits). */
export function sessionId(): string {
  return randomString(32, LOWER_ALNUM);
}
