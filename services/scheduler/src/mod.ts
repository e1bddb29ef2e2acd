/**
 * @ttc/scheduler as a library: only what other packages read. The scheduler itself runs as a process
 * (`@ttc/scheduler/main`, which `ttc up` spawns), and its own tests import `../src`.
 */
export { schedulerDefaults } from "./config.js";
