// Latency proxies in their own process, so their timers never share an event loop with what is measured.
// Arguments: delayMs host:port [host:port …]; prints one local port per target, space-separated.
import { startLatencyProxy } from '../tests/testbed/latency.ts';

const [delay, ...targets] = process.argv.slice(2);
const proxies = await Promise.all(
  targets.map((t) => {
    const [host, port] = t.split(':');
    return startLatencyProxy(host!, Number(port), Number(delay));
  }),
);
process.stdout.write(`${proxies.map((p) => p.port).join(' ')}\n`);
process.stdin.resume();
process.stdin.on('end', () => void Promise.all(proxies.map((p) => p.close())).then(() => process.exit(0)));
