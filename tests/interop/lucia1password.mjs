// Checks passwords against hashes with lucia-auth 1.8.0's own
// validateScryptHash (the function its useKey calls; the package does not
// export it, hence the file path), for authstore's interop tests.
//
//   node lucia1password.mjs '{"ops": [{"op": "validate", "args": ["password", "s2:salt:key"]}]}'
//
// `legacyHash` [password, salt] makes a hash in lucia-auth 0.x's format
// (`salt:key`, scrypt r = 8 of the password as typed, never normalised) with
// lucia-auth 1.8.0's own scrypt and parameters, the ones validateScryptHash
// checks such a hash with.
import { validateScryptHash, convertUint8ArrayToHex } from "./node_modules/lucia-auth/utils/crypto.js";
import scrypt from "./node_modules/lucia-auth/scrypt/index.js";
import ops from "./ops.js";

async function run(_, op, args) {
  switch (op) {
    case "validate": {
      const [password, hash] = args;
      return validateScryptHash(password, hash);
    }
    case "legacyHash": {
      const [password, salt] = args;
      const encode = (s) => new TextEncoder().encode(s);
      const key = await scrypt(encode(password), encode(salt), { N: 16384, r: 8, p: 1, dkLen: 64 });
      return `${salt}:${convertUint8ArrayToHex(key)}`;
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
}

ops.runOps(async () => null, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
