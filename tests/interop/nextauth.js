// Drives next-auth v3's own TypeORM adapter for authstore's interop tests.
//
//   node nextauth.js '{"url": "...", "secret": "...", "maxAge": 2592000, "updateAge": 86400,
//                      "ops": [{"op": "createUser", "args": [{"email": "a@b.c"}]}, ...]}'
//
// Runs the operations in order on one adapter and prints one JSON array of
// their results (see ops.js for chaining and dates).
"use strict";

process.env.NODE_ENV = "production"; // no entity re-sync on connect
const { TypeORM } = require("next-auth/adapters");
const { runOps } = require("./ops");

async function adapter(input) {
  return TypeORM.Adapter({ type: "postgres", url: input.url, synchronize: false }).getAdapter({
    session: { maxAge: input.maxAge, updateAge: input.updateAge },
    secret: input.secret,
    logger: { error: (...args) => console.error(...args), warn() {}, debug() {} },
    baseUrl: "http://localhost:3000",
  });
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
runOps(adapter, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
