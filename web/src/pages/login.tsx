import { type FormEvent, useState } from "react";
import { ApiError, apiGet, setToken } from "../api";
import { useLocation } from "../router";

/**
 * Sign in with an API token (`palisade token create --role ...`). The token is checked against the API before it
 * is kept, so a typo is said here rather than as errors on every page.
 */
export function LoginPage({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const loc = useLocation();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | undefined>(
    loc.params.get("expired") === "1" ? "Your token was not accepted any more: sign in again." : undefined,
  );
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (token === "") return setError("Paste an API token.");
    setBusy(true);
    setError(undefined);
    try {
      await apiGet("/api/v1/findings?limit=1", token);
      setToken(token);
      onSignedIn(token);
    } catch (err) {
      const a = err instanceof ApiError ? err : undefined;
      if (a?.status === 401) setError("This token is not valid for this server.");
      else if (a?.status === 403) setError(`This token may not read findings (${a.message}).`);
      else setError(`Could not sign in: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Palisade</h1>
        <p>Sign in with an API token. It is kept in this browser tab only.</p>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        {error !== undefined && (
          <div className="state error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="hint">
          Create one with <code>palisade token create --role security</code> (or{" "}
          <code>team-viewer --team NAME</code>
          ).
        </p>
      </form>
    </main>
  );
}
