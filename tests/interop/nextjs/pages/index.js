// The app's home page: who next-auth says is signed in, rendered on the server.
import { getSession } from "next-auth/client";

export async function getServerSideProps(context) {
  const session = await getSession(context);
  return { props: { email: session?.user?.email ?? null } };
}

export default function Home({ email }) {
  return <p id="who">{email ?? "nobody"}</p>;
}
