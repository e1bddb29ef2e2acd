/** A policy name or parameter the caller got wrong. */
export class PolicyConfigError extends Error {
  override readonly name = "PolicyConfigError";

  /**
   * @param field Path of the offending setting, e.g. "policy.name" or "policy.params.threshold".
   */
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
