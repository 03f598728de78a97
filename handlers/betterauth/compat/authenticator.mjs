// A software WebAuthn authenticator for Node: it installs what @simplewebauthn/browser (and so
// the passkey client) looks for in a browser, globalThis.PublicKeyCredential and
// navigator.credentials.create/get, backed by P-256 (ES256) keys it keeps in memory. It answers
// with "none" attestation, user presence and verification set, and a sign count that grows by
// one per assertion, as a platform authenticator would.
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";

// cbor encodes the few CBOR types WebAuthn needs (unsigned and negative integers, byte and text
// strings, maps); Map keeps integer keys as integers.
function cbor(v) {
  const head = (major, n) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) {
      const b = Buffer.alloc(3);
      b[0] = (major << 5) | 25;
      b.writeUInt16BE(n, 1);
      return b;
    }
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof v === "number") return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === "string") {
    const s = Buffer.from(v);
    return Buffer.concat([head(3, s.length), s]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  if (v instanceof Map) {
    const parts = [head(5, v.size)];
    for (const [k, x] of v) parts.push(cbor(k), cbor(x));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: unsupported value ${v}`);
}

const toArrayBuffer = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const sha256 = (data) => createHash("sha256").update(data).digest();

// Authenticator holds credentials by base64url id; origin is what clientDataJSON names.
export class Authenticator {
  constructor(origin) {
    this.origin = origin;
    this.credentials = new Map(); // id -> {privateKey, rpId, userHandle, counter}
    this.aaguid = Buffer.alloc(16); // "none" attestation: all zero
  }

  // install makes this authenticator the one the WebAuthn browser library finds.
  install() {
    globalThis.PublicKeyCredential ??= class PublicKeyCredential {};
    globalThis.location ??= new URL(this.origin);
    const credentials = { create: (o) => this.create(o.publicKey), get: (o) => this.get(o.publicKey) };
    Object.defineProperty(globalThis, "navigator", {
      value: { ...(globalThis.navigator ?? {}), credentials },
      configurable: true,
      writable: true,
    });
  }

  clientData(type, challenge) {
    return Buffer.from(JSON.stringify({
      type,
      challenge: Buffer.from(challenge).toString("base64url"),
      origin: this.origin,
      crossOrigin: false,
    }));
  }

  async create(pk) {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, "base64url")], [-3, Buffer.from(jwk.y, "base64url")]]));
    const rawId = randomBytes(16);
    const id = rawId.toString("base64url");
    const rpId = pk.rp.id;
    const excluded = (pk.excludeCredentials ?? []).map((c) => Buffer.from(c.id).toString("base64url"));
    if (excluded.some((x) => this.credentials.has(x))) {
      throw Object.assign(new Error("The authenticator was previously registered"), { name: "InvalidStateError" });
    }
    this.credentials.set(id, { privateKey, rpId, userHandle: Buffer.from(pk.user.id), counter: 0 });
    const flags = 0x45; // user present, user verified, attested credential data
    const authData = Buffer.concat([
      sha256(rpId), Buffer.from([flags]), Buffer.alloc(4), this.aaguid,
      Buffer.from([0, rawId.length]), rawId, cose,
    ]);
    const attestationObject = cbor(new Map([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    const clientDataJSON = this.clientData("webauthn.create", pk.challenge);
    return {
      id,
      rawId: toArrayBuffer(rawId),
      type: "public-key",
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: toArrayBuffer(clientDataJSON),
        attestationObject: toArrayBuffer(attestationObject),
        getTransports: () => ["internal", "hybrid"],
        getAuthenticatorData: () => toArrayBuffer(authData),
        getPublicKeyAlgorithm: () => -7,
        getPublicKey: () => null,
      },
      getClientExtensionResults: () => ({ credProps: { rk: true } }),
    };
  }

  async get(pk) {
    const allowed = (pk.allowCredentials ?? []).map((c) => Buffer.from(c.id).toString("base64url"));
    const candidates = [...this.credentials].filter(([id, c]) => c.rpId === pk.rpId && (allowed.length === 0 || allowed.includes(id)));
    if (candidates.length === 0) {
      throw Object.assign(new Error("No credential for this site"), { name: "NotAllowedError" });
    }
    const [id, cred] = candidates[candidates.length - 1];
    cred.counter++;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(cred.counter);
    const authData = Buffer.concat([sha256(pk.rpId), Buffer.from([0x05]), counter]); // present, verified
    const clientDataJSON = this.clientData("webauthn.get", pk.challenge);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey);
    return {
      id,
      rawId: toArrayBuffer(Buffer.from(id, "base64url")),
      type: "public-key",
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: toArrayBuffer(clientDataJSON),
        authenticatorData: toArrayBuffer(authData),
        signature: toArrayBuffer(signature),
        userHandle: toArrayBuffer(cred.userHandle),
      },
      getClientExtensionResults: () => ({}),
    };
  }
}
