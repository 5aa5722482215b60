// Keeping tokens out of what apps log: every description, message and log
// line the module or the shim makes passes through a Redactor first. A
// portal error that echoes the request body must not put the token into
// err.message.

const REDACTED = '[redacted]';
// Enough for every token one auth source hands out in a session (each
// refresh gives a new one); the oldest is forgotten first.
const MAX_SECRETS = 32;
const TOKEN_PARAM = /\b(auth|access_token|refresh_token|auth_id|refresh_id|AUTH_ID|REFRESH_ID)=(?!\[redacted\])[^&\s"'<>,;]+/g;

/**
 * Redactor remembers the tokens an auth source gave out and replaces each
 * of them, raw or URL-encoded, and the value of any token-like form
 * parameter, with "[redacted]".
 */
export class Redactor {
  /** @type {string[]} */
  #secrets = [];

  /** Notes a token to keep out of every text from now on. @param {unknown} value */
  secret(value) {
    if (typeof value !== 'string' || value.length < 4 || this.#secrets.includes(value)) return;
    this.#secrets.push(value);
    if (this.#secrets.length > MAX_SECRETS) this.#secrets.shift();
  }

  /** text with every known token and token parameter replaced. @param {unknown} text */
  redact(text) {
    let out = String(text);
    for (const secret of this.#secrets) {
      out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join(REDACTED);
    }
    return out.replace(TOKEN_PARAM, (_, name) => `${name}=${REDACTED}`);
  }
}
