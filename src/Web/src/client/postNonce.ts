/**
 * The nonce of a post: the server stores a message once per author and nonce, so a post sent again after a failure
 * (with the same nonce) cannot appear twice. 32 hex digits, within the server's rule of 1 to 64 characters of
 * `[A-Za-z0-9-_.:]`.
 */
export const postNoncePattern = /^[A-Za-z0-9\-_.:]{1,64}$/;

export function newPostNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
