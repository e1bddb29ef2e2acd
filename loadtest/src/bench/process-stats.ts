/**
 * CPU time seen from outside the processes that spend it (Linux `/proc`): free to read, so the
 * process measured is not disturbed, and independent of what the process exports.
 */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** Kernel clock ticks per second, the unit of utime and stime (100 on Linux almost everywhere). */
const clockTicks = (() => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(out.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** User plus system CPU seconds the process has used so far (Linux; resolution one clock tick). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses: the fields that follow start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 (utime) and 15 (stime) of proc(5), counted from the state field, which is field 3.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (`/proc/stat`, all cores). */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  // cpu  user nice system idle iowait irq softirq steal …: idle and iowait are the time nothing ran.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((s, t) => s + t, 0);
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

/** The share of the machine's CPU (0..1, all cores) that was busy between two readings. */
export function busyShare(from: MachineCpu, to: MachineCpu): number {
  const total = to.total - from.total;
  return total > 0 ? (to.busy - from.busy) / total : 0;
}

/** CPU seconds the whole machine was busy between two readings (all cores together). */
export function busySeconds(from: MachineCpu, to: MachineCpu): number {
  return (to.busy - from.busy) / clockTicks;
}

/** The process's resident set size in bytes (`VmRSS` of `/proc/<pid>/status`); undefined once it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const line = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return line ? Number(line[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
