/**
 * @ttc/worker as a library: only what other packages read. The worker itself runs as a process
 * (`@ttc/worker/main`, which `ttc up` and the integration tests spawn), and its own tests import `../src`.
 */
export { workerDefaults } from "./config.js";
