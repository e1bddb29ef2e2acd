/** @ttc/stats: Seeded random numbers, seed hashing and percentiles: one definition of each for the whole tree. */
export {};
