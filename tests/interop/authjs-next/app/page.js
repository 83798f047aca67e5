// Who the app thinks is signed in, read on every request.
import { auth } from "../auth.js";

export const dynamic = "force-dynamic";

export default async function Home() {
  const session = await auth();
  return <p id="who">{session?.user?.email ?? "nobody"}</p>;
}
