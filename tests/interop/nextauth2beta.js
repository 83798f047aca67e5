// Drives next-auth 2.0.0-beta.73's own TypeORM adapter (its built-in models)
// for authstore's interop tests, like nextauth.js does for v3.
//
//   TZ=America/St_Johns node nextauth2beta.js '{"url": "...", "secret": "...", "maxAge": 2592000,
//                      "updateAge": 86400, "synchronize": false, "ops": [...]}'
//
// With "synchronize": true, TypeORM creates the tables as next-auth 2.0 beta
// did for its users. The models keep wall-clock times in
// `timestamp without time zone` columns, written in the process's own zone
// (TZ).
"use strict";

process.env.NODE_ENV = "production";
const Adapters = require("next-auth-v2-beta/adapters");
const { runOps } = require("./ops");

async function adapter(input) {
  const config = { type: "postgres", url: input.url, synchronize: Boolean(input.synchronize) };
  return Adapters.Default(config).getAdapter({
    session: { maxAge: input.maxAge, updateAge: input.updateAge },
    site: "http://localhost:3000",
  });
}

async function run(adapter, op, args, input) {
  switch (op) {
    case "createVerificationRequest": {
      // (identifier, token, maxAgeSeconds): next-auth core makes the token;
      // the adapter hashes it with the secret it is handed here.
      const [identifier, token, maxAge] = args;
      const provider = { maxAge, sendVerificationRequest: async () => {} };
      await adapter.createVerificationRequest(identifier, "http://localhost:3000/cb", token, input.secret, provider);
      return null;
    }
    case "getVerificationRequest":
    case "deleteVerificationRequest": {
      const [identifier, token] = args;
      return (await adapter[op](identifier, token, input.secret)) ?? null;
    }
    case "sync":
      return null; // connecting (with "synchronize") is all it takes
    default:
      return (await adapter[op](...args)) ?? null;
  }
}

runOps(adapter, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
