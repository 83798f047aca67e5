// node-postgres stays a Node module of the server, not bundled.
export default { eslint: { ignoreDuringBuilds: true }, serverExternalPackages: ["pg"] };
