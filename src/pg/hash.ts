/**
 * Password hashes Moodle accepts (see docs/moodle-protocol.md, "Test users in the database"):
 * 4.3 (2023100900) and later generate SHA-512 crypt with 10,000 rounds; older sites use bcrypt with
 * the `$2y$` prefix (PHP's password_hash).
 */
import bcrypt from "bcryptjs";
import { encrypt } from "unixcrypt";

export type HashKind = "sha512" | "bcrypt";
export type HashChoice = HashKind | "auto";

/** Moodle 4.3's version number: from here on, SHA-512 crypt is the native format. */
export const MOODLE_43_VERSION = 2023100900;
export const SHA512_ROUNDS = 10_000;
export const BCRYPT_COST = 10;

const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random salt of crypt's alphabet (64 symbols: a byte modulo 64 is uniform). */
export function cryptSalt(length = 16): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => CRYPT_ALPHABET[b % 64]).join("");
}

export function hashKindForVersion(version: number): HashKind {
  return version >= MOODLE_43_VERSION ? "sha512" : "bcrypt";
}

/** `$6$rounds=10000$<16-char salt>$<hash>`. */
export function sha512Crypt(password: string, salt = cryptSalt(16)): string {
  return encrypt(password, `$6$rounds=${SHA512_ROUNDS}$${salt}`);
}

/** bcrypt with PHP's `$2y$` prefix (same algorithm as `$2a$`/`$2b$`). */
export function bcryptHash(password: string, cost = BCRYPT_COST): string {
  return toPhpBcrypt(bcrypt.hashSync(password, cost));
}

export function toPhpBcrypt(hash: string): string {
  return hash.replace(/^\$2[abx]\$/, "$2y$");
}

export function hashPassword(password: string, kind: HashKind): string {
  return kind === "sha512" ? sha512Crypt(password) : bcryptHash(password);
}

/** "4.5" for 2024100700 — only for messages; exact for the releases Moodle has shipped. */
export function releaseOfVersion(version: number): string {
  const releases: [number, string][] = [
    [2025100600, "5.1"],
    [2025041400, "5.0"],
    [2024100700, "4.5"],
    [2024042200, "4.4"],
    [2023100900, "4.3"],
    [2023042400, "4.2"],
    [2022112800, "4.1"],
    [2022041900, "4.0"],
    [2021051700, "3.11"],
    [2020110900, "3.10"],
    [2020061500, "3.9"],
  ];
  const match = releases.find(([start]) => version >= start);
  return match ? match[1] : "older than 3.9";
}
