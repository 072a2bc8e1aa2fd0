// Runs a latency proxy in its own process so its timers never share an event loop with what is measured.
import { startLatencyProxy } from '../tests/testbed/latency.ts';

const [host, port, delay] = process.argv.slice(2);
const p = await startLatencyProxy(host!, Number(port), Number(delay));
process.stdout.write(`${p.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => void p.close().then(() => process.exit(0)));
