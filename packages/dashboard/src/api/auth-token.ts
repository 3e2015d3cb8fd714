/**
 * The bearer token for a server started with UPNEXT_API_TOKEN. Kept in localStorage (this
 * browser only) and observable, so the token prompt appears when the server answers 401 and
 * every request and live stream picks up a new token at once.
 */
const TOKEN_STORAGE_KEY = "upnext.token";

type Listener = () => void;
const listeners = new Set<Listener>();
let rejected = false;

export function readToken(): string | undefined {
  try {
    const value = localStorage.getItem(TOKEN_STORAGE_KEY);
    return value === null || value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string | undefined): void {
  try {
    if (token === undefined || token === "") localStorage.removeItem(TOKEN_STORAGE_KEY);
    else localStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage disabled: nothing to keep.
  }
  rejected = false;
  for (const listener of listeners) listener();
}

/** The server answered 401: the prompt asks for a (new) token. */
export function markTokenRejected(): void {
  if (rejected) return;
  rejected = true;
  for (const listener of listeners) listener();
}

export function isTokenRejected(): boolean {
  return rejected;
}

export function subscribeToken(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function authHeaders(): Record<string, string> {
  const token = readToken();
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}
