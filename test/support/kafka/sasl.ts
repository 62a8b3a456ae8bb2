/**
 * Server side of SASL PLAIN and SCRAM-SHA-256/512 (RFC 5802) for the test broker. Each
 * exchange is a small state machine fed the client's tokens; it answers with the server's
 * token, or says the exchange failed.
 */
import crypto from "node:crypto";

export type SaslMechanismName = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

export type SaslStep =
  | { kind: "continue"; token: Buffer }
  | { kind: "done"; token: Buffer; user: string }
  | { kind: "failed"; message: string };

export interface SaslExchange {
  step(token: Buffer): SaslStep;
}

const INVALID = "Authentication failed: Invalid username or password";

const plain = (users: Record<string, string>): SaslExchange => ({
  step(token) {
    // authzid \0 authcid \0 password
    const [, user = "", password = ""] = token.toString("utf8").split("\0");
    return users[user] !== undefined && users[user] === password
      ? { kind: "done", token: Buffer.alloc(0), user }
      : { kind: "failed", message: INVALID };
  },
});

const attrs = (msg: string): Record<string, string> =>
  Object.fromEntries(
    msg.split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i), p.slice(i + 1)];
    }),
  );

const scram = (users: Record<string, string>, digest: "sha256" | "sha512"): SaslExchange => {
  const iterations = 4096;
  const keyLen = digest === "sha256" ? 32 : 64;
  const hmac = (key: Buffer, text: string) => crypto.createHmac(digest, key).update(text).digest();
  let state:
    | { at: "first" }
    | { at: "final"; user: string; nonce: string; salt: Buffer; bare: string; serverFirst: string }
    | { at: "over" } = { at: "first" };
  return {
    step(token) {
      const msg = token.toString("utf8");
      if (state.at === "first") {
        // gs2 header "n,," then the bare message "n=user,r=nonce"
        const bare = msg.replace(/^[nyp][^,]*,[^,]*,/, "");
        const a = attrs(bare);
        const user = (a.n ?? "").replace(/=2C/g, ",").replace(/=3D/g, "=");
        if (!a.r) return { kind: "failed", message: "Invalid SCRAM client first message" };
        const nonce = a.r + crypto.randomBytes(18).toString("base64");
        const salt = crypto.randomBytes(16);
        const serverFirst = `r=${nonce},s=${salt.toString("base64")},i=${iterations}`;
        state = { at: "final", user, nonce, salt, bare, serverFirst };
        return { kind: "continue", token: Buffer.from(serverFirst) };
      }
      if (state.at === "final") {
        const { user, nonce, salt, bare, serverFirst } = state;
        state = { at: "over" };
        const a = attrs(msg);
        const password = users[user];
        if (password === undefined || a.r !== nonce || !a.p)
          return { kind: "failed", message: INVALID };
        const withoutProof = msg.slice(0, msg.lastIndexOf(",p="));
        const authMessage = `${bare},${serverFirst},${withoutProof}`;
        const salted = crypto.pbkdf2Sync(password, salt, iterations, keyLen, digest);
        const clientKey = hmac(salted, "Client Key");
        const storedKey = crypto.createHash(digest).update(clientKey).digest();
        const signature = hmac(storedKey, authMessage);
        const proof = Buffer.from(a.p, "base64");
        const expected = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
        if (proof.length !== expected.length || !crypto.timingSafeEqual(proof, expected))
          return { kind: "failed", message: INVALID };
        const serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
        return {
          kind: "done",
          token: Buffer.from(`v=${serverSignature.toString("base64")}`),
          user,
        };
      }
      return { kind: "failed", message: "SCRAM exchange already finished" };
    },
  };
};

export const startExchange = (
  mechanism: SaslMechanismName,
  users: Record<string, string>,
): SaslExchange =>
  mechanism === "PLAIN"
    ? plain(users)
    : scram(users, mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512");
