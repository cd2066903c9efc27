import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jwtExpiry, memoizeAssertion } from "../../src/azure/credential.ts";

const jwt = (exp: number) => `${Buffer.from("{}").toString("base64url")}.${Buffer.from(JSON.stringify({ exp })).toString("base64url")}.sig`;

describe("federated assertion", () => {
  it("reads a JWT's exp", () => {
    assert.equal(jwtExpiry(jwt(1234)), 1234);
    assert.equal(jwtExpiry("not-a-jwt"), undefined);
  });

  it("mints once while the assertion is fresh, again when it nears expiry, and shares concurrent mints", async () => {
    let clock = 1_000_000_000_000;
    let minted = 0;
    const mint = async () => {
      minted += 1;
      return jwt(clock / 1000 + 300);
    };
    const get = memoizeAssertion(mint, () => clock);
    const [a, b] = await Promise.all([get(), get()]);
    assert.equal(minted, 1);
    assert.equal(a, b);
    clock += 200_000; // 200 s: 100 s left, more than the 60 s margin
    await get();
    assert.equal(minted, 1);
    clock += 50_000; // 250 s: 50 s left
    const c = await get();
    assert.equal(minted, 2);
    assert.notEqual(c, a);
  });
});
