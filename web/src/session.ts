import { createContext, useContext } from "react";
import { type Load, useLoad } from "./components/state";

/** Who the token acts as (`GET /api/v1/whoami`); undefined until known, or on a server without the route. */
export interface Principal {
  id: string;
  role: "admin" | "security" | "team-viewer" | "ingest";
  team?: string;
}

export interface Session {
  token: string;
  principal?: Principal | undefined;
  /** Forget the token and go to the sign-in page (back to this page after signing in again). */
  signOut: (expired?: boolean) => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === undefined) throw new Error("useSession outside the signed-in app");
  return s;
}

/** {@link useLoad} for a signed-in page: a 401 (token revoked) sends the user to sign in again. */
export function useApi<T>(key: string, fetcher: () => Promise<T>): Load<T> {
  const { signOut } = useSession();
  return useLoad(key, fetcher, () => signOut(true));
}

/** Whether the signed-in role may create and revoke exceptions (the server checks again). */
export function canWriteExceptions(p: Principal | undefined): boolean {
  return p?.role === "admin" || p?.role === "security";
}

/** Whether the signed-in role may read the audit log (the server checks again). */
export function canReadAudit(p: Principal | undefined): boolean {
  return p?.role === "admin" || p?.role === "security";
}
