// A TLS front for a plain-HTTP server, so a test can serve an app over https
// with a certificate it made itself:
//
//   node tls-proxy.mjs <listen port> <target port> <cert.pem> <key.pem>
//
// Every request is passed to 127.0.0.1:<target port> as it came (method,
// path, headers, body) and the answer passed back as it came.
import { readFileSync } from "fs";
import http from "http";
import https from "https";

const [listen, target, cert, key] = process.argv.slice(2);
const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const upstream = http.request(
    { host: "127.0.0.1", port: Number(target), method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    res.writeHead(502);
    res.end(String(error));
  });
  req.pipe(upstream);
});
server.listen(Number(listen), "127.0.0.1", () => console.log(`tls-proxy ${listen} -> ${target}`));
