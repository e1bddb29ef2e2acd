import { createHmac, createPublicKey, timingSafeEqual, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import { readSettingJson } from "@ttc/common";

/** How JWTs are checked: a shared secret (HS256) and/or public keys from a JWKS file (RS256, ES256), an audience, optionally an issuer. */
export interface JwtSettings {
  secret: Buffer | undefined;
  jwksFile: string | undefined;
  audience: string;
  issuer: string | undefined;
  /** Seconds of clock difference tolerated on `exp` and `nbf`. */
  leewaySeconds: number;
}

/** What a valid token says: the tenant (`ttc_tenant`, else `sub`). */
export interface JwtCaller {
  tenant: string;
}

/** A token that is not accepted; the message says why, for the caller. */
export class JwtRejected extends Error {}

const b64url = (part: string): Buffer => Buffer.from(part, "base64url");

/** Whether a bearer credential has the shape of a JWT (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * Verifies compact JWS tokens: the signature (HS256 with the secret, RS256/ES256 with the JWKS key
 * named by `kid`, or any of them without one), then `aud`, `exp` (required), `nbf` and `iss`. The
 * JWKS file is read at start; `alg: none` and algorithms without a configured key are refused.
 */
export class JwtVerifier {
  readonly #keys: { kid: string | undefined; alg: string; key: KeyObject }[];

  constructor(private readonly settings: JwtSettings) {
    this.#keys = settings.jwksFile ? readJwks(settings.jwksFile) : [];
  }

  verify(token: string, nowSeconds = Date.now() / 1000): JwtCaller {
    const [h, p, s] = token.split(".") as [string, string, string];
    let header: { alg?: unknown; kid?: unknown };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(b64url(h).toString("utf8")) as typeof header;
      claims = JSON.parse(b64url(p).toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new JwtRejected("the token is not a JWT: its header or claims are not JSON");
    }
    if (!this.#signatureValid(header, `${h}.${p}`, b64url(s))) throw new JwtRejected("the token's signature does not verify");
    const { audience, issuer, leewaySeconds } = this.settings;
    const aud = claims["aud"];
    if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience))))
      throw new JwtRejected(`the token is not for audience "${audience}"`);
    const exp = claims["exp"];
    if (typeof exp !== "number") throw new JwtRejected("the token has no expiry (exp)");
    if (nowSeconds > exp + leewaySeconds) throw new JwtRejected("the token has expired: get a new one");
    const nbf = claims["nbf"];
    if (typeof nbf === "number" && nowSeconds + leewaySeconds < nbf) throw new JwtRejected("the token is not valid yet (nbf)");
    if (issuer !== undefined && claims["iss"] !== issuer) throw new JwtRejected(`the token was not issued by "${issuer}"`);
    const tenant = typeof claims["ttc_tenant"] === "string" ? claims["ttc_tenant"] : claims["sub"];
    if (typeof tenant !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(tenant))
      throw new JwtRejected("the token names no tenant (ttc_tenant or sub: 1–64 letters, digits, _ . -)");
    return { tenant };
  }

  #signatureValid(header: { alg?: unknown; kid?: unknown }, signed: string, signature: Buffer): boolean {
    const alg = header.alg;
    if (alg === "HS256") {
      if (!this.settings.secret) return false;
      const expected = createHmac("sha256", this.settings.secret).update(signed).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    if (alg !== "RS256" && alg !== "ES256") return false;
    const candidates = this.#keys.filter((k) => k.alg === alg && (header.kid === undefined || k.kid === header.kid));
    return candidates.some((k) =>
      verify("sha256", Buffer.from(signed), alg === "ES256" ? { key: k.key, dsaEncoding: "ieee-p1363" } : k.key, signature),
    );
  }
}

function readJwks(file: string): { kid: string | undefined; alg: string; key: KeyObject }[] {
  const jwks = readSettingJson("TTC_GRPC_JWKS_FILE", file) as { keys?: (JsonWebKey & { kid?: string; alg?: string })[] };
  return (jwks.keys ?? []).map((jwk, i) => {
    const alg = jwk.alg ?? (jwk.kty === "EC" ? "ES256" : jwk.kty === "RSA" ? "RS256" : "");
    if (alg !== "RS256" && alg !== "ES256") throw new Error(`TTC_GRPC_JWKS_FILE: key ${i} of ${file}: only RS256 and ES256 keys are taken`);
    return { kid: jwk.kid, alg, key: createPublicKey({ key: jwk, format: "jwk" }) };
  });
}
