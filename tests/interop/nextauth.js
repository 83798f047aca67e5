// Drives next-auth v3's own TypeORM adapter for authstore's interop tests.
//
//   node nextauth.js '{"url": "...", "secret": "...", "maxAge": 2592000, "updateAge": 86400,
//                      "ops": [{"op": "createUser", "args": [{"email": "a@b.c"}]}, ...]}'
//
// Runs the operations in order on one adapter and prints one JSON array of
// their results. `"$N"` in an argument is replaced by the result of op N, and
// `"$N.field"` by a field of it, so a script can chain calls. Dates are
// printed as ISO-8601 strings (milliseconds, UTC).
"use strict";

process.env.NODE_ENV = "production"; // no entity re-sync on connect
const { TypeORM } = require("next-auth/adapters");

async function main() {
  const input = JSON.parse(process.argv[2]);
  const adapter = await TypeORM.Adapter({ type: "postgres", url: input.url, synchronize: false }).getAdapter({
    session: { maxAge: input.maxAge, updateAge: input.updateAge },
    secret: input.secret,
    logger: { error: (...args) => console.error(...args), warn() {}, debug() {} },
    baseUrl: "http://localhost:3000",
  });

  const results = [];
  for (const { op, args = [] } of input.ops) {
    const resolved = args.map((arg) => resolve(arg, results));
    results.push(await run(adapter, op, resolved));
  }
  process.stdout.write(JSON.stringify(results));
  // TypeORM keeps its pool open; the results are out, so end the process.
  process.exit(0);
}

function resolve(arg, results) {
  if (typeof arg === "string" && /^\$\d+(\.\w+)?$/.test(arg)) {
    const [index, field] = arg.slice(1).split(".");
    const value = results[Number(index)];
    return field ? value[field] : value;
  }
  if (arg && typeof arg === "object" && !Array.isArray(arg)) {
    const out = {};
    for (const [key, value] of Object.entries(arg)) {
      // Dates travel as {"$date": "..."}.
      out[key] = value && typeof value === "object" && "$date" in value ? new Date(value.$date) : resolve(value, results);
    }
    return out;
  }
  return arg;
}

async function run(adapter, op, args) {
  switch (op) {
    case "createVerificationRequest": {
      // (identifier, token, maxAgeSeconds): next-auth core generates the
      // token and hands it to the adapter together with the provider.
      const [identifier, token, maxAge] = args;
      const provider = { maxAge, sendVerificationRequest: async () => {} };
      await adapter.createVerificationRequest(identifier, "http://localhost:3000/cb", token, undefined, provider);
      return null;
    }
    default:
      return (await adapter[op](...args)) ?? null;
  }
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
