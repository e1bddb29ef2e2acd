import type { ServiceDefinition } from "@grpc/grpc-js";

/** A unary method that sends bytes as they are: no protobuf, so the floor is transport only. */
export const echoService: ServiceDefinition = {
  echo: {
    path: "/bench.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};
