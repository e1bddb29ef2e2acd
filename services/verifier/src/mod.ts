/**
 * @ttc/verifier as a library: nothing yet. The verifier runs as a process (`@ttc/verifier/main`, which
 * `ttc up` spawns), no other package reads any of its modules, and its own tests import `../src`.
 */
export {};
