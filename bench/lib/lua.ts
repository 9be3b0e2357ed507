/** A Lua string literal of `s` (for the request scripts wrk runs). */
export function luaString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Lua for wrk: `image(n)`, the URI of bench image n exactly as fixtures.imageUri(n) spells it (64 hex digits),
 * for n below 2^32.
 */
export const LUA_IMAGE = `
function image(n)
  return "https://registry.example.com/bench/app@sha256:" .. string.rep("0", 56) .. string.format("%08x", n)
end`;
