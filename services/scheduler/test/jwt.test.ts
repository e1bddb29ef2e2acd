import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JwtVerifier, looksLikeJwt } from "../src/jwt.js";

const secret = Buffer.from("a shared secret of at least thirty-two characters");
const now = 1_800_000_000;
const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

function hs256(claims: Record<string, unknown>, key = secret, header: Record<string, unknown> = { alg: "HS256", typ: "JWT" }): string {
  const signed = `${enc(header)}.${enc(claims)}`;
  return `${signed}.${createHmac("sha256", key).update(signed).digest("base64url")}`;
}

const valid = { aud: "ttc", exp: now + 60, ttc_tenant: "team-a" };
const verifier = (over: Partial<ConstructorParameters<typeof JwtVerifier>[0]> = {}) =>
  new JwtVerifier({ secret, jwksFile: undefined, audience: "ttc", issuer: undefined, leewaySeconds: 30, ...over });

describe("JWT verification", () => {
  it("takes a valid HS256 token and names its tenant (ttc_tenant, else sub)", () => {
    expect(verifier().verify(hs256(valid), now)).toEqual({ tenant: "team-a" });
    expect(verifier().verify(hs256({ aud: ["x", "ttc"], exp: now + 60, sub: "team-b" }), now)).toEqual({ tenant: "team-b" });
    expect(looksLikeJwt(hs256(valid))).toBe(true);
    expect(looksLikeJwt("tok-a-1")).toBe(false);
  });

  const refused: [string, () => string, RegExp, Partial<ConstructorParameters<typeof JwtVerifier>[0]>?][] = [
    ["another secret", () => hs256(valid, Buffer.from("not the secret, but just as long as it")), /signature does not verify/],
    ["alg none", () => `${enc({ alg: "none" })}.${enc(valid)}.`, /signature does not verify/],
    ["expired past the leeway", () => hs256({ ...valid, exp: now - 31 }), /has expired/],
    ["no expiry", () => hs256({ aud: "ttc", ttc_tenant: "team-a" }), /no expiry/],
    ["another audience", () => hs256({ ...valid, aud: "billing" }), /not for audience "ttc"/],
    ["not valid yet", () => hs256({ ...valid, nbf: now + 120 }), /not valid yet/],
    ["another issuer", () => hs256({ ...valid, iss: "evil" }), /not issued by "idp"/, { issuer: "idp" }],
    ["no tenant", () => hs256({ aud: "ttc", exp: now + 60 }), /names no tenant/],
    ["claims that are not JSON", () => `${enc({ alg: "HS256" })}.bm90IGpzb24.sig`, /not JSON/],
  ];
  for (const [what, token, reason, settings] of refused) {
    it(`refuses a token with ${what}, saying why`, () => {
      expect(() => verifier(settings).verify(token(), now)).toThrow(reason);
    });
  }

  it("verifies ES256 tokens with the JWKS key their kid names, and no other", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const file = join(mkdtempSync(join(tmpdir(), "ttc-jwks-")), "jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "ES256" }] }));
    const es256 = (key: typeof privateKey, kid: string) => {
      const signed = `${enc({ alg: "ES256", kid })}.${enc(valid)}`;
      return `${signed}.${sign("sha256", Buffer.from(signed), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
    };
    const v = verifier({ secret: undefined, jwksFile: file });
    expect(v.verify(es256(privateKey, "k1"), now)).toEqual({ tenant: "team-a" });
    expect(() => v.verify(es256(other.privateKey, "k1"), now)).toThrow(/signature does not verify/);
    expect(() => v.verify(es256(privateKey, "k2"), now)).toThrow(/signature does not verify/);
    // HS256 with no secret configured is refused, whatever it is signed with.
    expect(() => v.verify(hs256(valid), now)).toThrow(/signature does not verify/);
  });
});
