/** The decode half of a ts-proto message. */
export interface Decoder<T> {
  decode(input: Uint8Array): T;
}

/**
 * Decodes a NATS payload, returning null instead of throwing when it is not a valid message,
 * so a malformed message is dropped and counted by the caller, never crashes a process.
 */
export function tryDecode<T>(decoder: Decoder<T>, data: Uint8Array): T | null {
  try {
    return decoder.decode(data);
  } catch {
    return null;
  }
}
