import { createContext, useContext } from "react";
import { type Load, useLoad } from "./components/state";

export interface Session {
  token: string;
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
