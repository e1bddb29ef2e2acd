import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/**
 * grpc-js answers INTERNAL "Error deserializing request" when a request decoder throws, which tells a
 * caller nothing and blames the server. Decoders wrapped here never throw: a request they cannot
 * decode becomes an {@link Undecodable} saying why, naming the field when a 64-bit integer is larger
 * than a JavaScript number holds exactly, and the handler answers INVALID_ARGUMENT with it.
 */
const undecodable = Symbol("undecodable request");

export interface Undecodable {
  readonly [undecodable]: string;
}

/** Why the request could not be decoded, when it could not. */
export function undecodableReason(request: unknown): string | undefined {
  return typeof request === "object" && request !== null && undecodable in request ? (request as Undecodable)[undecodable] : undefined;
}

/** A field of the request message, as its descriptor gives it. */
export interface FieldDescription {
  name: string;
  number: number;
  /** `TYPE_UINT64`, `TYPE_INT64`, … */
  type: string;
}

/** `decode`, which now returns an {@link Undecodable} instead of throwing. `fields`: the message's top-level fields. */
export function tolerantDecoder<T>(decode: (bytes: Buffer) => T, fields: readonly FieldDescription[]): (bytes: Buffer) => T | Undecodable {
  const wide = new Map(fields.filter((f) => /^TYPE_S?U?(INT|FIXED)64$/.test(f.type)).map((f) => [f.number, f.name]));
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (err) {
      return {
        [undecodable]: explain(bytes, wide) ?? `the request is not a valid message: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  };
}

/** The first 64-bit field whose value a JavaScript number cannot hold exactly, if that is what went wrong. */
function explain(bytes: Buffer, wide: Map<number, string>): string | undefined {
  try {
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const [number, wireType] = reader.tag();
      const name = wide.get(number);
      if (name !== undefined && wireType === WireType.Varint) {
        const value = BigInt(reader.uint64());
        if (value > BigInt(Number.MAX_SAFE_INTEGER))
          return `${name} is ${value}, more than ${Number.MAX_SAFE_INTEGER} (2^53 − 1), the largest value this service takes`;
      } else reader.skip(wireType);
    }
  } catch {
    // Not even the wire format: the decoder's own message says so.
  }
  return undefined;
}
