// Who the app thinks is signed in, read on every request.
import { getServerSession } from "next-auth/next";
import { authOptions } from "./api/auth/[...nextauth].js";

export async function getServerSideProps({ req, res }) {
  const session = await getServerSession(req, res, authOptions);
  return { props: { email: session?.user?.email ?? "nobody" } };
}

export default function Home({ email }) {
  return <p id="who">{email}</p>;
}
