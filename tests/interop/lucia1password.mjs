// Checks passwords against hashes with lucia-auth 1.8.0's own
// validateScryptHash (the function its useKey calls; the package does not
// export it, hence the file path), for authstore's interop tests.
//
//   node lucia1password.mjs '{"ops": [{"op": "validate", "args": ["password", "s2:salt:key"]}]}'
import { validateScryptHash } from "./node_modules/lucia-auth/utils/crypto.js";
import ops from "./ops.js";

async function run(_, op, args) {
  if (op !== "validate") throw new Error(`unknown op ${op}`);
  const [password, hash] = args;
  return validateScryptHash(password, hash);
}

ops.runOps(async () => null, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
