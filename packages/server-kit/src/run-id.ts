import { randomBytes } from 'node:crypto';

/** A new run id: 128 random bits, base64url (22 characters, URL-safe). */
export function createRunId(): string {
  return randomBytes(16).toString('base64url');
}
