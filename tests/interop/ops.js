// The part of authstore's interop drivers that is not about one adapter:
// read the JSON input, run its operations in order, print the results.
//
// `"$N"` in an argument is replaced by the result of op N, and `"$N.field"`
// by a field of it, so a script can chain calls. Dates travel as
// {"$date": "..."} and are printed as ISO-8601 strings (milliseconds, UTC).
"use strict";

async function runOps(makeAdapter, run) {
  const input = JSON.parse(process.argv[2]);
  const adapter = await makeAdapter(input);
  const results = [];
  for (const { op, args = [] } of input.ops) {
    const resolved = args.map((arg) => resolve(arg, results));
    results.push(await run(adapter, op, resolved, input));
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

module.exports = { runOps };
