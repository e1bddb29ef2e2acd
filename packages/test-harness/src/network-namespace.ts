import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";

/**
 * A host of its own on this machine: a network namespace joined to the root namespace by a veth pair
 * (a /30 of 10.200.0.0/13), for partition tests. Traffic stays on the pair. `cut` takes the host side
 * of the link down (packets are lost, nothing is reset: a real partition); `heal` brings it back.
 */
export interface IsolatedHost {
  /** The root namespace's address on the link: what the namespace reaches this machine at. */
  readonly hostAddress: string;
  /** The namespace's own address. */
  readonly address: string;
  /** The command prefix that runs a program inside the namespace. */
  readonly launcher: string[];
  cut(): void;
  heal(): void;
  /** Deletes the link and the namespace (also done at process exit). */
  remove(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Creates an isolated host, or says why this machine cannot (not root, no `ip`, a kernel without
 * network namespaces or veth): the caller skips with that reason.
 */
export function createIsolatedHost(): IsolatedHost | { unsupported: string } {
  const id = randomBytes(3).toString("hex");
  const ns = `ttc${id}`;
  const hostSide = `ttc${id}h`;
  const nsSide = `ttc${id}n`;
  const net = `10.${200 + randomInt(8)}.${randomInt(256)}.${4 * randomInt(64)}`;
  const [a, b, c, d] = net.split(".").map(Number) as [number, number, number, number];
  const hostAddress = `${a}.${b}.${c}.${d + 1}`;
  const address = `${a}.${b}.${c}.${d + 2}`;
  let created = false;
  const remove = () => {
    if (!created) return;
    created = false;
    for (const args of [
      ["link", "del", hostSide],
      ["netns", "del", ns],
    ])
      try {
        ip(...args);
      } catch {
        // already gone
      }
  };
  try {
    ip("netns", "add", ns);
    created = true;
    ip("link", "add", hostSide, "type", "veth", "peer", "name", nsSide);
    ip("link", "set", nsSide, "netns", ns);
    ip("addr", "add", `${hostAddress}/30`, "dev", hostSide);
    ip("link", "set", hostSide, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${address}/30`, "dev", nsSide);
    ip("netns", "exec", ns, "ip", "link", "set", nsSide, "up");
    ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
  } catch (err) {
    remove();
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = e.code === "ENOENT" ? "the `ip` command (iproute2) is not installed" : e.stderr?.toString().trim() || e.message;
    return { unsupported: `network namespaces are not available here (${why}); partition tests need root and iproute2` };
  }
  process.once("exit", remove);
  return {
    hostAddress,
    address,
    launcher: ["ip", "netns", "exec", ns],
    cut: () => ip("link", "set", hostSide, "down"),
    heal: () => ip("link", "set", hostSide, "up"),
    remove,
  };
}
