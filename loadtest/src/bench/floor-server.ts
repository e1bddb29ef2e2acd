/**
 * The server side of the raw floor, as a process of its own (the scheduler and the worker are
 * processes of their own too): a grpc-js echo server and a NATS echo responder. Started by
 * `startRawFloor` with the NATS URL and a subject as arguments; prints `{"port": N}` once both serve;
 * exits when its parent closes its stdin.
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { connectNats } from "@ttc/common";
import { echoService } from "./echo-service.js";

const [natsUrl, subject] = process.argv.slice(2);
if (!natsUrl || !subject) throw new Error("usage: floor-server NATS_URL SUBJECT");

const server = new Server({ "grpc.enable_channelz": 0 });
server.addService(echoService, {
  echo: (call: { request: Buffer }, callback: (e: null, r: Buffer) => void) => callback(null, call.request),
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
);
const responder = await connectNats(natsUrl, "ttc-bench-floor-responder");
responder.subscribe(subject, {
  callback: (err, msg) => {
    if (!err) msg.respond(msg.data);
  },
});
await responder.flush();
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.stdin.resume();
process.stdin.on("end", () => {
  server.forceShutdown();
  void responder.close().then(() => process.exit(0));
});
