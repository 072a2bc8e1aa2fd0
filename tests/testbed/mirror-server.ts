// Tiny static HTTP server for the local apt mirror: `node mirror-server.ts DIR HOST`; prints the port.
// Runs as its own process inside the bed's cgroup, so tear-down (and cleanup after a crash) kills it.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const [dir, host] = process.argv.slice(2);
if (!dir || !host) {
  console.error('usage: mirror-server.ts DIR HOST');
  process.exit(2);
}
const root = path.resolve(dir);
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const file = path.resolve(root, '.' + decodeURIComponent(url.pathname));
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  const size = fs.statSync(file).size;
  res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
});
server.listen(0, host, () => {
  const addr = server.address();
  console.log(typeof addr === 'object' && addr ? addr.port : 0);
});
